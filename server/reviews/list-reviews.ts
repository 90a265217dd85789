import "server-only";
import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../drizzle/client";
import { REVIEW_STATUSES, reviews } from "../../drizzle/schema/index";

export const listReviewsInput = z.object({
  /** "open": pending ones (the queue); "decided": the rest; or one status. */
  status: z.enum(["open", "decided", ...REVIEW_STATUSES]).default("open"),
  cursor: z.object({ createdAt: z.date(), id: z.string().uuid() }).optional(),
  limit: z.number().int().min(1).max(100).default(50),
});

/** Reviews newest first, in keyset pages. */
export async function listReviews(db: Db, input: z.infer<typeof listReviewsInput>) {
  const status =
    input.status === "open" ? eq(reviews.status, "pending") : input.status === "decided" ? inArray(reviews.status, ["approved", "rejected", "expired", "cancelled"]) : eq(reviews.status, input.status);
  const after = input.cursor ? or(lt(reviews.createdAt, input.cursor.createdAt), and(eq(reviews.createdAt, input.cursor.createdAt), lt(reviews.id, input.cursor.id))) : undefined;
  const rows = await db
    .select()
    .from(reviews)
    .where(and(status, after))
    .orderBy(desc(reviews.createdAt), desc(reviews.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return { items: page, nextCursor: rows.length > input.limit && last ? { createdAt: last.createdAt, id: last.id } : undefined, now: new Date() };
}

export async function getReview(db: Db, id: string) {
  const [row] = await db.select().from(reviews).where(eq(reviews.id, id));
  return row;
}

export async function countPendingReviews(db: Db): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(reviews)
    .where(eq(reviews.status, "pending"));
  return r.n;
}
