import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, identities } from "../../drizzle/schema/index";
import { normaliseEmail } from "../../core/users/console-users";
import type { Decider } from "../../core/reviews/decide-review";

/** The CLI decides as a named console approver, with that person's role and groups. */
export async function loadDecider(db: Db, email: string | undefined): Promise<Decider> {
  if (!email) throw new Error("say who decides: --as <approver e-mail>");
  const [user] = await db
    .select()
    .from(consoleUsers)
    .where(eq(consoleUsers.email, normaliseEmail(email)));
  if (!user || user.disabledAt) throw new Error(`no active console account ${email}`);
  if (user.role !== "admin" && user.role !== "approver") throw new Error(`${user.email} is ${user.role}: only approvers and admins decide reviews and access requests`);
  const identityName = user.identityId ? (await db.select({ name: identities.name }).from(identities).where(eq(identities.id, user.identityId)))[0]?.name : null;
  return { email: user.email, identityName, groups: user.groups };
}
