import "server-only";
import { eq } from "drizzle-orm";
import type { ConsoleRole } from "../../core/users/console-users";
import { consoleUsers } from "../../drizzle/schema/index";
import { getDb } from "../db";
import { auth } from "./index";

export type ConsoleUserContext = { id: string; email: string; name: string | null; role: ConsoleRole; identityId: string | null };

/**
 * The signed-in person, read from the database on every request, so a role change or a disabled
 * account takes effect on the next call rather than when the cookie expires. Null when signed out.
 */
export async function currentUser(): Promise<ConsoleUserContext | null> {
  const session = await auth();
  const id = session?.user?.id;
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return null;
  const [row] = await getDb().select().from(consoleUsers).where(eq(consoleUsers.id, id));
  if (!row || row.disabledAt) return null;
  return { id: row.id, email: row.email, name: row.name, role: row.role, identityId: row.identityId };
}

/** Roles that may open each part of the console; admin may open all. Procedures enforce the same. */
export const SECTION_ROLES = {
  connections: ["admin"],
  connectors: ["admin", "auditor", "approver"],
  guardrails: ["admin", "auditor", "approver"],
  masking: ["admin", "auditor", "approver"],
  budgets: ["admin", "auditor", "approver"],
  access: ["admin"],
  agents: ["admin"],
  users: ["admin"],
  sessions: ["admin", "auditor"],
  reviews: ["admin", "approver"],
  audit: ["admin", "auditor"],
  terminal: ["admin", "approver", "auditor", "member"],
  sshKeys: ["admin", "approver", "auditor", "member"],
} as const satisfies Record<string, readonly ConsoleRole[]>;

export type Section = keyof typeof SECTION_ROLES;

export function canOpen(role: ConsoleRole, section: Section): boolean {
  return (SECTION_ROLES[section] as readonly ConsoleRole[]).includes(role);
}
