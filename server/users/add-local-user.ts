import "server-only";
import type { Db } from "../../drizzle/client";
import { consoleUsers, type ConsoleRole } from "../../drizzle/schema/index";
import { normaliseEmail } from "../../core/users/console-users";
import { checkPasswordStrength, hashPassword } from "../../core/users/password-hash";
import { generatePassword } from "../../core/users/generate-password";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { userView } from "./user-view";

/**
 * Adds a local account. Without a typed password one is generated and returned once. Unlike
 * `users add` on the CLI this never overwrites an existing account: resetting is its own action.
 */
export async function addLocalUser(db: Db, actor: ConsoleUserContext, input: { email: string; role: ConsoleRole; groups: string[]; name?: string; password?: string }) {
  let email: string;
  try {
    email = normaliseEmail(input.email);
  } catch (err) {
    throw new AppError("INVALID_INPUT", (err as Error).message, { email: (err as Error).message });
  }
  const password = input.password ?? generatePassword();
  const weak = checkPasswordStrength(password);
  if (weak) throw new AppError("INVALID_INPUT", weak, { password: weak });
  const [row] = await db
    .insert(consoleUsers)
    .values({ email, role: input.role, name: input.name || null, passwordHash: await hashPassword(password), source: "local", groups: input.groups })
    .onConflictDoNothing({ target: consoleUsers.email })
    .returning(userView);
  if (!row) throw new AppError("CONFLICT", `${email} already has an account`, { email: "this e-mail already has an account: find it in the list below" });
  await recordConsoleEvent(db, { action: "console.user.add", outcome: "ok", actor: actor.email, target: email, message: `console account ${email} added as ${row.role}`, after: row });
  // The password goes back only when the server made it up: the admin already knows one they typed.
  return { email, generatedPassword: input.password ? null : password };
}
