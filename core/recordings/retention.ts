import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { deleteExpiredHeldCalls } from "../mcp/held-calls";

/** Deletes recordings (and their chunks) of sessions started more than `days` ago; returns how many. */
export async function deleteOldRecordings(db: Db, days: number): Promise<number> {
  if (days <= 0) return 0;
  const { rows } = await db.execute<{ n: number }>(
    sql`with gone as (delete from recordings where started_at < now() - make_interval(days => ${days}) returning 1) select count(*)::int as n from gone`,
  );
  return rows[0]?.n ?? 0;
}

/** Browser-terminal tickets a day past their expiry (used or not) are of no further use. */
export async function deleteStaleTerminalTickets(db: Db): Promise<void> {
  await db.execute(sql`delete from terminal_tickets where expires_at < now() - interval '1 day'`);
}

/** Runs the retention now and every hour (every instance may: the deletes are idempotent). */
export function startRetention(db: Db, days: number, log: (m: string) => void): () => void {
  const sweep = () =>
    Promise.all([deleteOldRecordings(db, days).then((n) => n && log(`deleted ${n} recording(s) older than ${days} days`)), deleteStaleTerminalTickets(db), deleteExpiredHeldCalls(db)]).catch((err) =>
      log(`retention sweep failed: ${(err as Error).message}`),
    );
  void sweep();
  const timer = setInterval(sweep, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
