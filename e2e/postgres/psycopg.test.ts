import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { run, startTestGateway, type TestGateway } from "../support/gateway-harness";

// Python's drivers from Debian: psycopg2 (python3-psycopg2, libpq underneath: server-side cursors,
// bytea, jsonb, notices); asyncpg (python3-asyncpg: its own protocol code, binary formats, named
// prepared statements, COPY, a pool) and psycopg 3 (python3-psycopg: pipeline mode, binary results).
const python = "/usr/bin/python3";
const probe = path.join(import.meta.dirname, "fixtures/psycopg_probe.py");
const driversProbe = path.join(import.meta.dirname, "fixtures/python_drivers_probe.py");
let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startTestGateway();
  key = await t.setupAccess({ connection: "py" });
});
afterAll(() => t?.close());

describe("[POSTGRES][PSYCOPG] Python drivers through the gateway", () => {
  it("sees exactly what it sees on a direct connection", async () => {
    const direct = await run(python, [probe, `host=127.0.0.1 port=${t.target.port} dbname=shop user=app password=secret sslmode=disable`]);
    const gated = await run(python, [probe, `host=127.0.0.1 port=${t.pgPort} dbname=py user=agent password=${key} sslmode=require`]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain("server-side cursor rows: 35");
    expect(direct.stdout).toContain("error: 23505");
    expect(gated.stderr).toBe("");
    expect(gated.stdout).toBe(direct.stdout);
  });

  it("asyncpg and psycopg 3 see exactly what they see on a direct connection, over TLS and without", async () => {
    const direct = await run(python, [driversProbe, "127.0.0.1", String(t.target.port), "app", "secret", "shop", "plain"]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain("asyncpg error 23505");
    expect(direct.stdout).toContain("psycopg3 server cursor 30");
    for (const tls of ["plain", "tls"]) {
      const gated = await run(python, [driversProbe, "127.0.0.1", String(t.pgPort), "agent", key, "py", tls]);
      expect(gated.stderr, tls).toBe("");
      expect(gated.stdout, tls).toBe(direct.stdout);
    }
  });
});
