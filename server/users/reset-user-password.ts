import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { consoleUsers } from "../../drizzle/schema/index";
import { hashPassword } from "../../core/users/password-hash";
import { generatePassword } from "../../core/users/generate-password";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** Gives a local account a new generated password, returned once; the old one stops working at once. */
export async function resetUserPassword(db: Db, actor: ConsoleUserContext, id: string) {
  const [user] = await db.select({ email: consoleUsers.email, source: consoleUsers.source }).from(consoleUsers).where(eq(consoleUsers.id, id));
  if (!user) throw new AppError("NOT_FOUND", "no such console account");
  if (user.source !== "local") throw new AppError("CONFLICT", `${user.email} signs in through single sign-on and has no Gatehouse password`);
  const password = generatePassword();
  await db
    .update(consoleUsers)
    .set({ passwordHash: await hashPassword(password) })
    .where(eq(consoleUsers.id, id));
  await recordConsoleEvent(db, { action: "console.user.reset_password", outcome: "ok", actor: actor.email, target: user.email, message: `password of ${user.email} reset` });
  return { email: user.email, password };
}
