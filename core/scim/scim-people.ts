import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, groups, identities, keys, memberships, scimGroupMembers, scimGroups, scimUsers, type ConsoleRole } from "../../drizzle/schema/index";
import { publish } from "../bus/event-bus";
import { ensureGroup } from "../access/grant-access";

export type RoleFromGroups = (groups: string[]) => ConsoleRole | undefined;

/** What applying a SCIM user's state to Gatehouse changed (for the audit event). */
export type PersonSync = { consoleUser: string | null; identities: string[]; revokedKeys: number; groups: string[]; disabled: boolean };

export const DEPROVISIONED = "this person was deactivated by the identity provider (SCIM)";
const EMAILISH = /^[^\s@]+@[^\s@]+$/;

/**
 * Makes Gatehouse's people agree with one SCIM user (after any create, replace, patch or delete):
 * - the console account with the user's e-mail (created when new and active; never given a password),
 *   disabled while the user is inactive, its groups (and role, when `GATEHOUSE_*_GROUPS` maps them) from
 *   the user's SCIM groups;
 * - the person's gateway identities: the one linked to the account and the OIDC identities named by the
 *   user's userName or e-mail (one is created when none exists, so a person disabled before their first
 *   token is refused too). While inactive they are disabled, their keys revoked and `keys.revoked`
 *   published for each, which ends their live sessions (keys and OIDC tokens alike) on every instance.
 *   Reactivation re-enables the account and the identities; revoked keys stay revoked.
 * - memberships of those identities in groups that SCIM manages (a group of the same name as a SCIM
 *   group) follow SCIM membership; other groups an admin gave are left alone.
 */
export async function syncScimPerson(db: Db, scimUserId: string, roleFromGroups: RoleFromGroups): Promise<PersonSync> {
  const [u] = await db.select().from(scimUsers).where(eq(scimUsers.id, scimUserId));
  if (!u) throw new Error(`no SCIM user ${scimUserId}`);
  const active = u.active && !u.deletedAt;
  const memberOf = (
    await db.select({ name: scimGroups.displayName }).from(scimGroupMembers).innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId)).where(eq(scimGroupMembers.userId, u.id))
  ).map((r) => r.name);
  const email = (u.email ?? (EMAILISH.test(u.userName) ? u.userName : null))?.toLowerCase() ?? null;
  const role = roleFromGroups(memberOf);

  let account = email ? (await db.select().from(consoleUsers).where(eq(consoleUsers.email, email)))[0] : undefined;
  if (!account && email && active) {
    const name = u.displayName ?? ([u.givenName, u.familyName].filter(Boolean).join(" ") || null);
    [account] = await db
      .insert(consoleUsers)
      .values({ email, name, source: "scim", role: role ?? "member", groups: memberOf })
      .onConflictDoNothing()
      .returning();
    account ??= (await db.select().from(consoleUsers).where(eq(consoleUsers.email, email)))[0];
  } else if (account) {
    [account] = await db
      .update(consoleUsers)
      .set({ disabledAt: active ? null : (account.disabledAt ?? new Date()), groups: memberOf, ...(role ? { role } : {}) })
      .where(eq(consoleUsers.id, account.id))
      .returning();
  }
  if (account && u.consoleUserId !== account.id) await db.update(scimUsers).set({ consoleUserId: account.id }).where(eq(scimUsers.id, u.id));

  // The person's gateway identities.
  const names = [...new Set([u.userName, email].filter((n): n is string => !!n).map((n) => n.toLowerCase()))];
  const found = await db
    .select({ id: identities.id, name: identities.name })
    .from(identities)
    .where(
      sql`(${identities.source} = 'oidc' and (lower(${identities.name}) in ${names} or lower(${identities.email}) in ${names}))${
        account?.identityId ? sql` or ${identities.id} = ${account.identityId}` : sql``
      }`,
    );
  if (!found.length) {
    const [created] = await db.insert(identities).values({ name: u.userName, kind: "person", source: "oidc", email }).onConflictDoNothing().returning({ id: identities.id, name: identities.name });
    if (created) found.push(created);
  }
  const ids = found.map((i) => i.id);
  if (account && !account.identityId && found[0]) {
    await db
      .update(consoleUsers)
      .set({ identityId: found[0].id })
      .where(and(eq(consoleUsers.id, account.id), isNull(consoleUsers.identityId)));
  }

  let revokedKeys = 0;
  if (ids.length) {
    await db
      .update(identities)
      .set({ disabledAt: active ? null : sql`coalesce(${identities.disabledAt}, now())` })
      .where(inArray(identities.id, ids));
    if (!active) {
      for (const id of ids) {
        const revoked = await db
          .update(keys)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(keys.identityId, id), isNull(keys.revokedAt)))
          .returning({ id: keys.id });
        revokedKeys += revoked.length;
        // Published even without keys: the identity's OIDC sessions end the same way.
        await publish(db, "keys.revoked", { identityId: id, keyIds: revoked.map((r) => r.id), reason: DEPROVISIONED });
      }
    }
    await syncMemberships(db, ids, memberOf);
  }
  return { consoleUser: account?.email ?? null, identities: found.map((i) => i.name), revokedKeys, groups: memberOf, disabled: !active };
}

async function syncMemberships(db: Db, identityIds: string[], memberOf: string[]): Promise<void> {
  const managed = (await db.select({ name: scimGroups.displayName }).from(scimGroups)).map((r) => r.name);
  const leave = managed.filter((g) => !memberOf.includes(g));
  for (const name of memberOf) {
    const group = await ensureGroup(db, name);
    await db
      .insert(memberships)
      .values(identityIds.map((identityId) => ({ identityId, groupId: group.id })))
      .onConflictDoNothing();
  }
  if (leave.length) {
    const gone = await db.select({ id: groups.id }).from(groups).where(inArray(groups.name, leave));
    if (gone.length)
      await db.delete(memberships).where(
        and(
          inArray(memberships.identityId, identityIds),
          inArray(
            memberships.groupId,
            gone.map((g) => g.id),
          ),
        ),
      );
  }
}

/** The SCIM users in a group (to re-sync each after its membership or name changed). */
export async function scimGroupMemberIds(db: Db, groupId: string): Promise<string[]> {
  return (await db.select({ id: scimGroupMembers.userId }).from(scimGroupMembers).where(eq(scimGroupMembers.groupId, groupId))).map((r) => r.id);
}
