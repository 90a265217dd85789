import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";

/**
 * Held MCP calls' rows past their expiry: sealed results nobody collected, waits whose instance
 * stopped. Deleted when a call is next held or settled, and by the hourly sweep, so a result does not
 * outlive its 15 minutes by more than an hour on a gateway that holds no more calls.
 */
export async function deleteExpiredHeldCalls(db: Db): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`with gone as (delete from held_call_results where expires_at < now() returning 1) select count(*)::int as n from gone`);
  return rows[0]?.n ?? 0;
}
