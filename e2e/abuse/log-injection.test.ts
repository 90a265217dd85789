import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serialize } from "pg-protocol";
import { applyPolicy } from "../../core/policy/manage-policies";
import { RawPgClient } from "../support/raw-pg-client";
import { startPgGatewayProcess, type PgGateway } from "../audit/gateway-process";

// The gateway as `npm run gateway` runs it, its real stderr captured: a client's bytes (a statement
// name over 63 characters that pg-protocol's serializer used to print, a database name, an
// application name) must never make a line of their own in the log.
const FORGED = "FORGED LINE: audit disabled";
const pgServer = inject("pg");
let t: PgGateway;
let port: number;
let key: string;

beforeAll(async () => {
  t = await startPgGatewayProcess(pgServer, { instance: "log-test", identity: "agent-7" });
  ({ port, key } = t);
  await applyPolicy(t.handle.db, "pg-prod", { defaultAction: "allow", rules: [{ name: "no-drops", action: "deny", match: { kinds: ["DROP"] } }] });
});

afterAll(() => t?.stop());

describe("[ABUSE][LOG] nothing a client sends reaches the gateway's log unescaped", () => {
  it("a refused Parse with a 100-character statement name that carries a forged line leaves no such line", async () => {
    const name = `s${"x".repeat(100 - 2 - FORGED.length)}\n${FORGED}`;
    expect(name.length).toBe(100);
    const c = await RawPgClient.connect(port);
    expect((await c.login("pg-prod", key)).name).toBe("readyForQuery");
    c.send(Buffer.concat([parseMessage(name, "drop table if exists nothing_here"), serialize.sync()]));
    const err = await c.waitFor((m) => m.name === "error");
    expect(err).toMatchObject({ code: "42501" });
    expect(err.message).toContain('rule "no-drops"');
    await c.waitFor((m) => m.name === "readyForQuery" && c.messages.indexOf(m) > c.messages.indexOf(err));
    // The session goes on, and the statement name still lines up with the target's.
    c.send(Buffer.concat([serialize.parse({ name: "ok", text: "select 41 + 1" }), serialize.bind({ statement: "ok" }), serialize.execute(), serialize.sync()]));
    expect(await c.waitFor((m) => m.name === "dataRow")).toMatchObject({ fields: ["42"] });
    c.end();

    // Other places a client's words could travel: the database name (connection) and start-up parameters.
    const other = await RawPgClient.connect(port);
    other.send(serialize.startup({ user: `u\n${FORGED}`, database: `pg-prod\n${FORGED}`, application_name: `a\n${FORGED}` }));
    await other.waitFor((m) => m.name === "authenticationCleartextPassword");
    other.send(serialize.password(key));
    expect(await other.waitFor((m) => m.name === "error")).toMatchObject({ code: "28000" });
    other.end();

    await new Promise((r) => setTimeout(r, 500)); // what the gateway prints arrives through a pipe
    const lines = t.gw
      .log()
      .split("\n")
      .filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.startsWith(FORGED) || l.trim() === FORGED)).toEqual([]);
    for (const line of lines) {
      const parsed = JSON.parse(line) as { time: string; level: string; instance: string; msg: string };
      expect(parsed).toMatchObject({ instance: "log-test", level: expect.stringMatching(/^(info|warn|error)$/) });
    }
  });
});

/** A Parse built by hand (pg-protocol's serializer would print the long name itself, in this process). */
function parseMessage(name: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from(`${name}\0${text}\0`), Buffer.from([0, 0])]);
  const head = Buffer.from([0x50, 0, 0, 0, 0]);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
