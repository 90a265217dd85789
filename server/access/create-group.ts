import "server-only";
import type { Db } from "../../drizzle/client";
import { groups } from "../../drizzle/schema/index";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** A new, empty group (the router has checked the name against the gateway's rule). */
export async function createGroup(db: Db, user: ConsoleUserContext, name: string) {
  const [row] = await db.insert(groups).values({ name }).onConflictDoNothing().returning();
  if (!row) throw new AppError("CONFLICT", `a group named "${name}" already exists`, { name: "a group with this name exists" });
  await recordConsoleEvent(db, { action: "console.group.create", outcome: "ok", actor: user.email, target: name, after: row });
  return row;
}
