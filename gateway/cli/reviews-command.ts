import { desc, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, identities, reviews } from "../../drizzle/schema/index";
import { normaliseEmail } from "../admin/console-users";
import { decideReview } from "../reviews/decide-review";

export const REVIEWS_USAGE = `  reviews list [--json] [--all]                        statements waiting for approval (--all: decided ones too)
  reviews approve <id> --as <email>                    approve as that console approver (same checks as the console)
  reviews reject <id> --as <email> --reason "..."      reject; the client gets the reason`;

type Out = (line: string) => void;

export async function runReviewsCommand(db: Db, sub: string | undefined, args: string[], opts: { json?: boolean; all?: boolean; as?: string; reason?: string }, out: Out) {
  if (sub === "list") {
    const rows = await db.select().from(reviews).where(opts.all ? undefined : eq(reviews.status, "pending")).orderBy(desc(reviews.createdAt)).limit(500);
    for (const r of rows) out(opts.json ? JSON.stringify(r) : `${r.id}\t${r.status}\t${r.identityName}\t${r.connectionName}\t${r.statement.replace(/\s+/g, " ").slice(0, 80)}`);
    return;
  }
  if (sub !== "approve" && sub !== "reject") throw new Error(`unknown reviews command "${sub ?? ""}"`);
  if (!args[0] || !opts.as) throw new Error(`reviews ${sub} needs <id> --as <approver e-mail>`);
  // The CLI acts for a named console approver, with that person's role and groups.
  const [user] = await db.select().from(consoleUsers).where(eq(consoleUsers.email, normaliseEmail(opts.as)));
  if (!user || user.disabledAt) throw new Error(`no active console account ${opts.as}`);
  if (user.role !== "admin" && user.role !== "approver") throw new Error(`${user.email} is ${user.role}: only approvers and admins decide reviews`);
  const identityName = user.identityId ? (await db.select({ name: identities.name }).from(identities).where(eq(identities.id, user.identityId)))[0]?.name : null;
  const r = await decideReview(db, { reviewId: args[0], decision: sub, reason: opts.reason, decider: { email: user.email, identityName, groups: user.groups } });
  out(`review ${args[0]}: ${r.status} (${r.approvals}/${r.requiredApprovals} approvals)`);
}
