import { desc, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { reviews } from "../../drizzle/schema/index";
import { decideReview } from "../../core/reviews/decide-review";
import { loadDecider } from "./decider";

export const REVIEWS_USAGE = `  reviews list [--json] [--all]                        statements waiting for approval (--all: decided ones too)
  reviews approve <id> --as <email>                    approve as that console approver (same checks as the console)
  reviews reject <id> --as <email> --reason "..."      reject; the client gets the reason`;

type Out = (line: string) => void;

export async function runReviewsCommand(db: Db, sub: string | undefined, args: string[], opts: { json?: boolean; all?: boolean; as?: string; reason?: string }, out: Out) {
  if (sub === "list") {
    const rows = await db
      .select()
      .from(reviews)
      .where(opts.all ? undefined : eq(reviews.status, "pending"))
      .orderBy(desc(reviews.createdAt))
      .limit(500);
    for (const r of rows) out(opts.json ? JSON.stringify(r) : `${r.id}\t${r.status}\t${r.identityName}\t${r.connectionName}\t${r.statement.replace(/\s+/g, " ").slice(0, 80)}`);
    return;
  }
  if (sub !== "approve" && sub !== "reject") throw new Error(`unknown reviews command "${sub ?? ""}"`);
  if (!args[0]) throw new Error(`reviews ${sub} needs <id> --as <approver e-mail>`);
  const decider = await loadDecider(db, opts.as);
  const r = await decideReview(db, { reviewId: args[0], decision: sub, reason: opts.reason, decider });
  out(`review ${args[0]}: ${r.status} (${r.approvals}/${r.requiredApprovals} approvals)`);
}
