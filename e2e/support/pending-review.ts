import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { reviews } from "../../drizzle/schema/index";

/** Waits (up to 10 s) for the gateway to record a pending review of a statement or command containing `fragment`. */
export async function pendingReview(db: Db, fragment: string) {
  for (let i = 0; i < 100; i++) {
    // By its text, not the newest pending one: other holds may be waiting at the same time (the contract's timeout case).
    const [r] = await db
      .select()
      .from(reviews)
      .where(and(eq(reviews.status, "pending"), sql`strpos(${reviews.statement}, ${fragment}) > 0`))
      .orderBy(desc(reviews.createdAt))
      .limit(1);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no pending review of "${fragment}" appeared`);
}
