import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";

// pg_cancel_backend / pg_terminate_backend (gateway/protocols/postgres/backend-signals.ts): every
// agent signs in to the target as the connection's one account, so on the target either function
// reaches any agent's backend. Through the gateway only a backend of the caller's own sessions may
// be named, with a constant; no policy is needed for that.
let t: TestGateway;
let keyA: string;
let keyB: string;
const CONNECTION = "pg-signals";

const connect = async (key: string) => {
  const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: CONNECTION, user: "agent", password: key });
  await c.connect();
  return c;
};
const pidOf = async (c: pg.Client) => Number((await c.query("select pg_backend_pid() as pid")).rows[0].pid);
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "ran",
    (e: { code?: string }) => `failed ${e.code}`,
  );

beforeAll(async () => {
  t = await startTestGateway();
  keyA = await t.setupAccess({ connection: CONNECTION, group: "signal-users", identity: "agent-a" });
  keyB = await t.setupAccess({ connection: CONNECTION, group: "signal-users", identity: "agent-b" });
});
afterAll(async () => {
  await t?.close();
});

describe("[POSTGRES][SIGNALS] one agent cannot cancel or end another's backend", () => {
  it("every way of naming another agent's backend is refused (42501), and its statement runs on", async () => {
    const a = await connect(keyA);
    const b = await connect(keyB);
    try {
      const victim = await pidOf(b);
      const sleeping = outcome(b.query("select pg_sleep(2)"));
      for (const sql of [
        `select pg_cancel_backend(${victim})`,
        `select pg_catalog.pg_terminate_backend(${victim}, 1000)`,
        `select pg_terminate_backend('${victim}'::int)`,
        `select pg_cancel_backend(pid => ${victim})`,
        `select U&"pg_cancel\\005fbackend"(${victim})`,
        "select pg_cancel_backend(pid) from pg_stat_activity where query like 'select pg_sleep%'",
        `do $$ begin perform pg_terminate_backend(${victim}); end $$`,
        `create function stop_it() returns bool language sql as 'select pg_terminate_backend(${victim})'`,
      ]) {
        const err = await a.query(sql).then(
          () => null,
          (e: { code?: string; message?: string }) => e,
        );
        expect(err?.code, sql).toBe("42501");
        expect(err?.message, sql).toMatch(/^Gatehouse refused pg_(cancel|terminate)_backend: .*own sessions/);
      }
      // A parameter is not a constant: refused in the extended protocol as well.
      expect(await outcome(a.query("select pg_cancel_backend($1)", [victim]))).toBe("failed 42501");
      expect(await sleeping).toBe("ran");
      // A text that neither calls nor names them is untouched.
      expect((await a.query("select 'backend' as w")).rows[0].w).toBe("backend");
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("an agent cancels the statement of its own other session with its pid", async () => {
    const a1 = await connect(keyA);
    const a2 = await connect(keyA);
    try {
      const pid = await pidOf(a1);
      const sleeping = outcome(a1.query("select pg_sleep(30)"));
      await new Promise((r) => setTimeout(r, 300));
      expect((await a2.query(`select pg_cancel_backend(${pid}) as ok`)).rows[0].ok).toBe(true);
      expect(await sleeping).toBe("failed 57014");
      // PostgreSQL 15 can signal a cancelled backend twice (signal_child): let it settle before the next statement.
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await a1.end();
      await a2.end();
    }
  });
});
