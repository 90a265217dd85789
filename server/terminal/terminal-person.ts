import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, groups, identities, memberships } from "../../drizzle/schema/index";
import type { ConsoleUserContext } from "../auth/current-user";

/** Who a browser terminal runs as: the console account's linked gateway identity, or why there is none. */
export type TerminalPerson = { kind: "unlinked" } | { kind: "disabled"; identityName: string } | { kind: "linked"; identityId: string; identityName: string; groups: string[] };

/**
 * The person's gateway identity and the groups a terminal carries: the identity's Gatehouse group
 * memberships together with the groups the console account has from the IdP (or an admin).
 */
export async function loadTerminalPerson(db: Db, user: ConsoleUserContext): Promise<TerminalPerson> {
  if (!user.identityId) return { kind: "unlinked" };
  const [identity] = await db.select({ name: identities.name, disabledAt: identities.disabledAt }).from(identities).where(eq(identities.id, user.identityId));
  if (!identity) return { kind: "unlinked" };
  if (identity.disabledAt) return { kind: "disabled", identityName: identity.name };
  const [member, [account]] = await Promise.all([
    db.select({ name: groups.name }).from(memberships).innerJoin(groups, eq(groups.id, memberships.groupId)).where(eq(memberships.identityId, user.identityId)),
    db.select({ groups: consoleUsers.groups }).from(consoleUsers).where(eq(consoleUsers.id, user.id)),
  ]);
  const all = new Set([...member.map((g) => g.name), ...(account?.groups ?? [])]);
  return { kind: "linked", identityId: user.identityId, identityName: identity.name, groups: [...all].sort() };
}

export const UNLINKED_MESSAGE =
  "Your console account is not linked to a gateway identity, so there is nobody to open a terminal as. Ask an admin to link one to your account on the Console users page.";

export const disabledMessage = (identityName: string) => `Your gateway identity ${identityName} is disabled, so it cannot open a terminal. Ask an admin to enable it.`;
