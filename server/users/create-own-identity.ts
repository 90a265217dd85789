import "server-only";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, identities } from "../../drizzle/schema/index";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/**
 * Gives the signed-in admin a gateway identity of their own: a person (never an agent's identity,
 * or the audit would show the agent for what the person typed), named by their e-mail, linked to
 * their console account. Both changes are audited as the console's other changes are.
 */
export async function createOwnIdentity(db: Db, user: ConsoleUserContext): Promise<{ identityName: string }> {
  if (user.identityId) throw new AppError("CONFLICT", "Your account is already linked to a gateway identity: change the link on the Console users page.");
  const result = await db.transaction(async (tx) => {
    const [identity] = await tx.insert(identities).values({ name: user.email, kind: "person", source: "local", email: user.email }).onConflictDoNothing().returning();
    if (!identity) throw new AppError("CONFLICT", `A gateway identity named ${user.email} already exists: link it to your account on the Console users page if it is yours.`);
    // Only while still unlinked: two clicks at once create one identity (the name is unique) and one link.
    const [linked] = await tx
      .update(consoleUsers)
      .set({ identityId: identity.id })
      .where(and(eq(consoleUsers.id, user.id), isNull(consoleUsers.identityId)))
      .returning({ id: consoleUsers.id });
    if (!linked) throw new AppError("CONFLICT", "Your account was linked to a gateway identity meanwhile: reload the page.");
    return identity;
  });
  await recordConsoleEvent(db, {
    action: "console.identity.create",
    outcome: "ok",
    actor: user.email,
    target: result.name,
    message: `person identity ${result.name} created for ${user.email}`,
    after: result,
  });
  await recordConsoleEvent(db, {
    action: "console.user.update",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: result.id,
    target: user.email,
    message: `${user.email}: linked to ${result.name}`,
    before: { email: user.email, identityName: null },
    after: { email: user.email, identityName: result.name },
  });
  return { identityName: result.name };
}
