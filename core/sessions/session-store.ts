import { and, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { sessions } from "../../drizzle/schema/index";

export type NewSession = typeof sessions.$inferInsert;

export const LEFTOVER_REASON = "the gateway instance stopped before the session ended";

/** A session an earlier run of the instance left active, as its end event needs it. */
export type LeftoverSession = {
  id: string;
  identityId: string | null;
  identityName: string;
  groups: string[];
  connectionName: string;
  protocol: string;
  clientAddr: string | null;
};

/** Session rows: written before the first byte is relayed, closed when the session ends. */
export function createSessionStore(db: Db) {
  return {
    async open(row: NewSession): Promise<void> {
      await db.insert(sessions).values(row);
    },
    /** Closes the rows an earlier run of this instance left active (it stopped without ending them); returns them, for their end events. */
    async closeLeftovers(instance: string): Promise<LeftoverSession[]> {
      return db
        .update(sessions)
        .set({ status: "failed", endReason: LEFTOVER_REASON, endedAt: new Date() })
        .where(and(eq(sessions.status, "active"), eq(sessions.gatewayInstance, instance)))
        .returning({
          id: sessions.id,
          identityId: sessions.identityId,
          identityName: sessions.identityName,
          groups: sessions.groups,
          connectionName: sessions.connectionName,
          protocol: sessions.protocol,
          clientAddr: sessions.clientAddr,
        });
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
