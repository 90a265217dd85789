import { readFileSync } from "node:fs";
import path from "node:path";
import { psqlAdmin, type PgServer } from "../../e2e/support/pg-server";
import { cpuSecondsOf, memoryOf } from "./procs";
import type { BenchGateway } from "./gateway";
import type { Results } from "./report";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU used by a set of processes between start() and stop(), in microseconds per transaction:
 * the proxy process itself, and for the gateway also the Postgres backends its pool uses
 * (audit inserts and session rows land on the same two cores as the benchmark).
 */
export class CpuMeter {
  private readonly before = new Map<number, number>();

  constructor(private readonly pids: () => number[]) {}

  start(): void {
    this.before.clear();
    for (const pid of this.pids()) this.before.set(pid, cpuSecondsOf(pid) ?? 0);
  }

  /** Processes that appeared meanwhile count from zero; ones that vanished are lost. */
  stop(transactions: number | null): number | null {
    if (!transactions) return null;
    let seconds = 0;
    for (const pid of new Set([...this.before.keys(), ...this.pids()])) {
      const now = cpuSecondsOf(pid);
      if (now !== undefined) seconds += now - (this.before.get(pid) ?? 0);
    }
    return (seconds * 1e6) / transactions;
  }
}

/** Backends of the private server that serve the gateway's own pool (state, audit). */
export function gatewayBackends(pg: PgServer): number[] {
  const out = psqlAdmin(pg, "select pid from pg_stat_activity where application_name like 'gatehouse-gateway%'");
  return out
    .split("\n")
    .map(Number)
    .filter((n) => n > 0);
}

/** Things worth a second look: a contender that died, what the gateway logged, what it recorded. */
export function collectNotes(results: Results, pg: PgServer, gw: BenchGateway, procs: Array<[string, number | undefined]>) {
  for (const [name, pid] of procs) if (!pid || !memoryOf(pid)) results.notes.push(`${name} process is gone at the end of the run`);
  const logLines = gw.svc
    .log()
    .split("\n")
    .filter((l) => l.trim() && !/listener on|gateway ready/.test(l));
  const suspicious = logLines.filter((l) => /error|fail|warn|exception|refus/i.test(l));
  results.notes.push(`gateway printed ${logLines.length} other log line(s), ${suspicious.length} mentioning errors${suspicious.length ? `; first: ${suspicious[0].slice(0, 200)}` : ""}`);
  try {
    const q = (sql: string) => psqlAdmin(pg, sql, gw.stateDb).trim();
    const notOk = q(
      "select outcome || ' ' || action || ': ' || left(concat_ws(' ', sqlstate, message, statement), 120) || ' (x' || count(*) || ')' from audit_events where outcome <> 'ok' group by outcome, action, sqlstate, message, statement order by count(*) desc limit 5",
    );
    if (notOk) results.notes.push(...notOk.split("\n").map((l) => `audit event not ok: ${l}`));
    // Each shipment of the writer is one transaction (a COPY, or an insert): its rows share an xmin.
    const [shipped, shipments] = q("select count(*) || ' ' || count(distinct xmin::text) from audit_events where instance = 'bench' or instance like 'bench#%'").split(" ").map(Number);
    results.notes.push(`audit shipments: ${shipped} events in ${shipments} transactions, ${(shipped / Math.max(shipments, 1)).toFixed(1)} events per shipment (it ships every 100 ms)`);
    results.notes.push(
      `gateway state db: ${q("select count(*) from audit_events")} audit events (${q("select count(*) from audit_events where outcome <> 'ok'")} not ok), ${q("select count(*) from sessions")} sessions, ${q("select count(*) from session_events")} session events`,
    );
  } catch (e) {
    results.notes.push(`could not count the gateway's records: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
  }
}

/**
 * As root, pg.stop()'s SIGINT goes to runuser, which ignores it and never exits; so the
 * postmaster itself gets the fast-shutdown signal first, and pg.stop() then only tidies up.
 */
export async function stopPg(pg: PgServer): Promise<void> {
  try {
    const pid = Number(readFileSync(path.join(pg.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGINT");
  } catch {
    /* not running */
  }
  await Promise.race([pg.stop(), sleep(15_000).then(() => console.error("postgres did not stop in 15 s"))]);
}
