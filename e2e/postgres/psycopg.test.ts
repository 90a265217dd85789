import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";

// psycopg2 from Debian (python3-psycopg2, libpq underneath): server-side cursors, bytea, jsonb, notices.
const python = "/usr/bin/python3";
const probe = path.join(import.meta.dirname, "fixtures/psycopg_probe.py");
let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "py" });
});
afterAll(() => t?.close());

describe("[POSTGRES][PSYCOPG] psycopg2 through the gateway", () => {
  it("sees exactly what it sees on a direct connection", async () => {
    const direct = await run(python, [probe, `host=127.0.0.1 port=${t.target.port} dbname=shop user=app password=secret sslmode=disable`]);
    const gated = await run(python, [probe, `host=127.0.0.1 port=${t.pgPort} dbname=py user=agent password=${key} sslmode=require`]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain("server-side cursor rows: 35");
    expect(direct.stdout).toContain("error: 23505");
    expect(gated.stderr).toBe("");
    expect(gated.stdout).toBe(direct.stdout);
  });
});
