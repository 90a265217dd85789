import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers, CONSOLE_ROLES, identities, type ConsoleRole } from "../../drizzle/schema/index";
import { checkPasswordStrength, hashPassword, verifyPassword } from "./password-hash";

export { CONSOLE_ROLES, type ConsoleRole };

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function normaliseEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 254) throw new Error(`"${email}" is not an e-mail address`);
  return e;
}

export type ConsoleUser = typeof consoleUsers.$inferSelect;

/** Creates a local console account, or resets the password and role of an existing one. */
export async function addConsoleUser(db: Db, input: { email: string; role: ConsoleRole; password: string; name?: string; groups?: string[] }) {
  const email = normaliseEmail(input.email);
  const weak = checkPasswordStrength(input.password);
  if (weak) throw new Error(weak);
  const passwordHash = await hashPassword(input.password);
  const [row] = await db
    .insert(consoleUsers)
    .values({ email, role: input.role, name: input.name, passwordHash, source: "local", groups: input.groups ?? [] })
    .onConflictDoUpdate({ target: consoleUsers.email, set: { role: input.role, passwordHash, disabledAt: null, ...(input.groups ? { groups: input.groups } : {}) } })
    .returning();
  return row;
}

/** The account for a local sign-in, or undefined: unknown e-mail, wrong password, disabled, or an OIDC-only account. */
export async function verifyLocalSignIn(db: Db, emailInput: string, password: string): Promise<ConsoleUser | undefined> {
  let email: string;
  try {
    email = normaliseEmail(emailInput);
  } catch {
    return undefined;
  }
  const [user] = await db.select().from(consoleUsers).where(eq(consoleUsers.email, email));
  // Hash anyway when there is no account, so response time does not tell which e-mails exist.
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user?.passwordHash || !ok || user.disabledAt) return undefined;
  await db
    .update(consoleUsers)
    .set({ lastSignInAt: sql`now()` })
    .where(eq(consoleUsers.id, user.id));
  return user;
}
const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/**
 * Records a person who signed in through single sign-on (the OIDC provider or the SAML IdP). `roleFromGroups` (when the deployment
 * maps IdP groups to roles) wins over the stored role on every sign-in, so removing someone from
 * the IdP group takes the role away; without a mapping the stored role (default member) stays.
 */
export async function upsertSsoUser(db: Db, input: { source: "oidc" | "saml"; email: string; name?: string; roleFromGroups?: ConsoleRole; groups?: string[] }) {
  const email = normaliseEmail(input.email);
  const [row] = await db
    .insert(consoleUsers)
    .values({ email, name: input.name, source: input.source, role: input.roleFromGroups ?? "member", groups: input.groups ?? [], lastSignInAt: sql`now()` })
    .onConflictDoUpdate({
      target: consoleUsers.email,
      set: {
        name: input.name ?? sql`${consoleUsers.name}`,
        lastSignInAt: sql`now()`,
        ...(input.roleFromGroups ? { role: input.roleFromGroups } : {}),
        // The IdP is the truth about a person's groups: each sign-in replaces them.
        ...(input.groups ? { groups: input.groups } : {}),
      },
    })
    .returning();
  return row;
}

export async function countAdmins(db: Db): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(consoleUsers)
    .where(sql`${consoleUsers.role} = 'admin' and ${consoleUsers.disabledAt} is null`);
  return r.n;
}

/**
 * Links a console account to the gateway identity the same person uses with OIDC tokens (the
 * gateway names those by preferred_username, else e-mail), so that they cannot approve their own
 * statements and can ask for access for themselves. Only an OIDC identity is linked, and only once.
 */
export async function linkOidcIdentity(db: Db, userId: string, names: string[]): Promise<void> {
  const wanted = names.filter(Boolean);
  if (!wanted.length) return;
  const [identity] = await db
    .select({ id: identities.id })
    .from(identities)
    .where(and(eq(identities.source, "oidc"), inArray(identities.name, wanted)));
  if (!identity) return;
  await db
    .update(consoleUsers)
    .set({ identityId: identity.id })
    .where(and(eq(consoleUsers.id, userId), isNull(consoleUsers.identityId)));
}
