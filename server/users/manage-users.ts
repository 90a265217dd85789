import "server-only";
import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, CONSOLE_ROLES, identities, type ConsoleRole } from "../../drizzle/schema/index";
import { addConsoleUser, normaliseEmail } from "../../gateway/admin/console-users";
import { generatePassword } from "../../gateway/cli/users-command";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

export { CONSOLE_ROLES };

const view = { identityId: consoleUsers.identityId, id: consoleUsers.id, email: consoleUsers.email, name: consoleUsers.name, role: consoleUsers.role, source: consoleUsers.source, groups: consoleUsers.groups, lastSignInAt: consoleUsers.lastSignInAt, disabledAt: consoleUsers.disabledAt, createdAt: consoleUsers.createdAt };

export async function listConsoleUsers(db: Db) {
  const [users, ids] = await Promise.all([
    db.select(view).from(consoleUsers).orderBy(asc(consoleUsers.email)),
    db.select({ id: identities.id, name: identities.name }).from(identities).orderBy(asc(identities.name)),
  ]);
  return { users: users.map((u) => ({ ...u, identityName: ids.find((i) => i.id === u.identityId)?.name ?? null })), identities: ids.map((i) => i.name) };
}

/** Adds a local account (or resets one) with a generated password, returned once. */
export async function addLocalUser(db: Db, actor: ConsoleUserContext, input: { email: string; role: ConsoleRole; groups: string[] }) {
  let email: string;
  try {
    email = normaliseEmail(input.email);
  } catch (err) {
    throw new AppError("INVALID_INPUT", (err as Error).message, { email: (err as Error).message });
  }
  const password = generatePassword();
  const row = await addConsoleUser(db, { email, role: input.role, password, groups: input.groups });
  await recordConsoleEvent(db, { action: "console.user.add", outcome: "ok", actor: actor.email, target: email, after: { email, role: row.role, groups: row.groups } });
  return { email, password };
}

/** Changes a role or disables/enables an account; the last active admin cannot lock everyone out. */
export async function updateConsoleUser(db: Db, actor: ConsoleUserContext, input: { id: string; role?: ConsoleRole; disabled?: boolean; groups?: string[]; identityName?: string | null }) {
  const [before] = await db.select(view).from(consoleUsers).where(eq(consoleUsers.id, input.id));
  if (!before) throw new AppError("NOT_FOUND", "no such console account");
  const losesAdmin = before.role === "admin" && !before.disabledAt && ((input.role && input.role !== "admin") || input.disabled === true);
  if (losesAdmin) {
    const [others] = await db.select({ n: sql<number>`count(*)::int` }).from(consoleUsers).where(and(eq(consoleUsers.role, "admin"), isNull(consoleUsers.disabledAt), ne(consoleUsers.id, input.id)));
    if (others.n === 0) throw new AppError("CONFLICT", "this is the last active admin: make someone else admin first");
  }
  let identityId: string | null | undefined;
  if (input.identityName !== undefined) {
    const [identity] = input.identityName ? await db.select({ id: identities.id }).from(identities).where(eq(identities.name, input.identityName)) : [];
    if (input.identityName && !identity) throw new AppError("NOT_FOUND", `no identity named "${input.identityName}"`);
    identityId = identity?.id ?? null;
  }
  const [after] = await db
    .update(consoleUsers)
    .set({
      ...(identityId !== undefined ? { identityId } : {}),
      ...(input.role ? { role: input.role } : {}),
      ...(input.groups ? { groups: input.groups } : {}),
      ...(input.disabled === undefined ? {} : { disabledAt: input.disabled ? sql`now()` : null }),
    })
    .where(eq(consoleUsers.id, input.id))
    .returning(view);
  await recordConsoleEvent(db, { action: "console.user.update", outcome: "ok", actor: actor.email, target: before.email, before, after });
  return after;
}
