import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import pg from "pg";
import { psqlAdmin } from "../../support/pg-server";
import { run, startTestGateway, type TestGateway, type RunResult } from "../../support/gateway-harness";
import { startRecordingProxy, type RecordingProxy } from "./recording-proxy";
import { FORBIDDEN, RULES, SEED_SQL } from "./seed";

export type MaskedSetup = {
  t: TestGateway;
  proxy: RecordingProxy;
  key: string;
  /** A key of a member of the exempt group `dpo`. */
  exemptKey: string;
  connection: string;
  /** A direct connection URL to the seeded database (what the target really holds). */
  directUrl: string;
  psql: (key: string, sql: string, extra?: string[]) => Promise<RunResult>;
  close: () => Promise<void>;
};

/** A gateway, a private database seeded with sensitive values, masking rules applied, and a recording proxy in front. */
export async function startMaskedGateway(connection = "masked"): Promise<MaskedSetup> {
  const t = await startTestGateway();
  const db = `masking_${randomBytes(5).toString("hex")}`;
  psqlAdmin(inject("pg"), `create database ${db} owner app`);
  const directUrl = t.target.url(db);
  const direct = new pg.Client({ connectionString: directUrl });
  await direct.connect();
  await direct.query(SEED_SQL).finally(() => direct.end());
  const key = await t.setupAccess({ connection, db, identity: "agent-m" });
  const issued = await t.cli("keys", "issue", "dpo-person", "--groups", "analysts,dpo");
  if (issued.code !== 0) throw new Error(issued.stderr);
  const rulesFile = path.join(tmpdir(), `gatehouse-masking-${randomBytes(4).toString("hex")}.json`);
  writeFileSync(rulesFile, JSON.stringify(RULES));
  const applied = await t.cli("masking", "apply", connection, "-f", rulesFile);
  if (applied.code !== 0) throw new Error(applied.stderr);
  const proxy = await startRecordingProxy(t.pgPort);
  return {
    t,
    proxy,
    key,
    exemptKey: issued.stdout.trim(),
    connection,
    directUrl,
    psql: (k, sql, extra = []) =>
      run("psql", [`host=127.0.0.1 port=${proxy.port} dbname=${connection} user=agent sslmode=disable`, "-X", ...extra], { env: { PGPASSWORD: k, PGCONNECT_TIMEOUT: "10" }, input: sql }),
    async close() {
      await proxy.close();
      await t.close();
    },
  };
}

/** The oracle: which seeded values (or telling pieces of them) appear in these bytes. */
export function leaksIn(bytes: Buffer | string): string[] {
  const b = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  return FORBIDDEN.filter((f) => b.includes(Buffer.from(f)));
}
