import { and, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { sessions } from "../../drizzle/schema/index";

export type NewSession = typeof sessions.$inferInsert;

/** Session rows: written before the first byte is relayed, closed when the session ends. */
export function createSessionStore(db: Db) {
  return {
    async open(row: NewSession): Promise<void> {
      await db.insert(sessions).values(row);
    },
    /** Closes the rows an earlier run of this instance left active (it stopped without ending them). */
    async closeLeftovers(instance: string): Promise<number> {
      const rows = await db
        .update(sessions)
        .set({ status: "failed", endReason: "the gateway instance stopped before the session ended", endedAt: new Date() })
        .where(and(eq(sessions.status, "active"), eq(sessions.gatewayInstance, instance)))
        .returning({ id: sessions.id });
      return rows.length;
    },
    async close(id: string, end: { failed: boolean; reason: string; bytesIn: number; bytesOut: number }): Promise<void> {
      await db
        .update(sessions)
        .set({ status: end.failed ? "failed" : "closed", endReason: end.reason, endedAt: new Date(), bytesIn: end.bytesIn, bytesOut: end.bytesOut })
        .where(eq(sessions.id, id));
    },
  };
}
export type SessionStore = ReturnType<typeof createSessionStore>;
