import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { psqlAdmin } from "../support/pg-server";
import { runMigrations } from "../../drizzle/migrate";
import { startAuditSinks } from "../../core/audit/sinks/sink-runner";
import { httpSink } from "../../core/audit/sinks/transports";

// The sink runner against PostgreSQL and an HTTP receiver: its cursor survives a restart (nothing
// confirmed is sent again, nothing written meanwhile is missed), and a backlog over the bound is
// skipped from its oldest end with a warning in the log.
const pgServer = inject("pg");
let pool: pg.Pool;
let server: http.Server;
let url: string;
const received: number[] = [];

beforeAll(async () => {
  const db = `gh_sinks_${randomBytes(4).toString("hex")}`;
  psqlAdmin(pgServer, `create database ${db}`);
  const dbUrl = `postgres://postgres@localhost/${db}?host=${encodeURIComponent(pgServer.socketDir)}&port=${pgServer.port}`;
  await runMigrations(dbUrl);
  pool = new pg.Pool({ connectionString: dbUrl, max: 3 });
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      for (const l of body.trim().split("\n")) received.push(JSON.parse(l).id);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await pool?.end();
  server?.close();
});

const insertEvents = async (n: number) =>
  (await pool.query<{ id: string }>("insert into audit_events (action, outcome, message) select 'test.event', 'ok', 'n' || g from generate_series(1, $1) g returning id", [n])).rows.map((r) =>
    Number(r.id),
  );

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe("[AUDIT][SIEM] sink cursors", () => {
  it("resume after a restart without resending or missing, and skip a backlog over the bound with a warning", async () => {
    const logs: string[] = [];
    const log = (m: string, level?: string) => logs.push(`${level ?? "info"} ${m}`);
    const sink = () => httpSink({ format: "webhook", url, headers: {} });
    const opts = { pollMs: 50, batch: 40, maxBacklog: 100, gapGraceMs: 200 };

    let runner = startAuditSinks(pool, [sink()], log, opts);
    await until(() => logs.length > 0);
    await new Promise((r) => setTimeout(r, 300)); // the cursor row is made at the log's end
    const first = await insertEvents(60);
    await until(() => first.every((id) => received.includes(id)));
    expect(received).toEqual(first);
    await runner.close();

    // Written while no gateway runs: picked up by the next start, after what was confirmed.
    const meanwhile = await insertEvents(30);
    runner = startAuditSinks(pool, [sink()], log, opts);
    await until(() => meanwhile.every((id) => received.includes(id)));
    expect(received).toEqual([...first, ...meanwhile]);
    await runner.close();

    // 250 written while it is stopped, over a bound of 100: the oldest 150 are skipped, with a warning.
    const flood = await insertEvents(250);
    runner = startAuditSinks(pool, [sink()], log, opts);
    await until(() => received.includes(flood[flood.length - 1]));
    await runner.close();
    expect(received.slice(first.length + meanwhile.length)).toEqual(flood.slice(150));
    expect(logs.some((l) => l.startsWith("warn") && l.includes("250 events behind") && l.includes(`skipping ids ${flood[0]}..${flood[149]}`))).toBe(true);
    const cursor = await pool.query<{ last_id: string; backlog: string; delivered_at: Date | null }>("select last_id, backlog, delivered_at from audit_sink_cursors where name = 'webhook'");
    expect(Number(cursor.rows[0].last_id)).toBe(flood[flood.length - 1]);
    expect(Number(cursor.rows[0].backlog)).toBe(0);
  });
});
