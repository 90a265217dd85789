import { eq } from "drizzle-orm";
import { openDb } from "../../drizzle/client";
import { consoleUsers } from "../../drizzle/schema/index";
import { addConsoleUser, countAdmins, normaliseEmail } from "../../core/users/console-users";
import { generatePassword } from "../../core/users/generate-password";

export type FirstAdmin = { kind: "existing" } | { kind: "from-environment"; email: string } | { kind: "generated"; email: string; password: string };

export const DEFAULT_ADMIN_EMAIL = "admin@gatehouse.local";

/**
 * Makes sure someone can sign in to a fresh console. GATEHOUSE_ADMIN_EMAIL (with
 * GATEHOUSE_ADMIN_PASSWORD, or alone when sign-in goes through the OIDC provider) names the first
 * admin; otherwise, while no admin exists, one is created with a generated password that the
 * banner shows once. Existing accounts are never changed here.
 */
export async function ensureFirstAdmin(databaseUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<FirstAdmin> {
  const handle = openDb(databaseUrl, { max: 1, applicationName: "gatehouse-start" });
  try {
    const db = handle.db;
    if (env.GATEHOUSE_ADMIN_EMAIL) {
      const email = normaliseEmail(env.GATEHOUSE_ADMIN_EMAIL);
      const [existing] = await db.select({ id: consoleUsers.id }).from(consoleUsers).where(eq(consoleUsers.email, email));
      if (existing) return { kind: "from-environment", email };
      if (env.GATEHOUSE_ADMIN_PASSWORD) {
        await addConsoleUser(db, { email, role: "admin", password: env.GATEHOUSE_ADMIN_PASSWORD });
      } else if (env.OIDC_CLIENT_ID) {
        await db.insert(consoleUsers).values({ email, role: "admin", source: "oidc" }).onConflictDoNothing();
      } else {
        throw new Error("GATEHOUSE_ADMIN_EMAIL needs GATEHOUSE_ADMIN_PASSWORD (or console sign-in through OIDC_CLIENT_ID)");
      }
      return { kind: "from-environment", email };
    }
    if ((await countAdmins(db)) > 0) return { kind: "existing" };
    const password = generatePassword();
    await addConsoleUser(db, { email: DEFAULT_ADMIN_EMAIL, role: "admin", password });
    return { kind: "generated", email: DEFAULT_ADMIN_EMAIL, password };
  } finally {
    await handle.close();
  }
}
