import "server-only";
import type { Db } from "../../drizzle/client";
import { identities, memberships } from "../../drizzle/schema/index";
import { ensureGroup } from "../../core/access/grant-access";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** Creates an agent identity in the given groups (new groups are created), without a key yet. */
export async function createAgent(db: Db, user: ConsoleUserContext, input: { name: string; groups: string[] }) {
  const [row] = await db.insert(identities).values({ name: input.name, kind: "agent" }).onConflictDoNothing().returning();
  if (!row) throw new AppError("CONFLICT", `an identity named "${input.name}" already exists`, { name: "this name is taken: open it from the list to issue a key" });
  for (const g of input.groups) {
    const group = await ensureGroup(db, g);
    await db.insert(memberships).values({ identityId: row.id, groupId: group.id }).onConflictDoNothing();
  }
  await recordConsoleEvent(db, {
    action: "console.agent.create",
    outcome: "ok",
    actor: user.email,
    target: row.name,
    message: `agent ${row.name} created${input.groups.length ? ` in ${input.groups.join(", ")}` : ""}`,
    after: { ...row, groups: input.groups },
  });
  return { id: row.id, name: row.name };
}
