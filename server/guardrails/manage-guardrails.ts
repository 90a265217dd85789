import "server-only";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, policies } from "../../drizzle/schema/index";
import { applyPolicy } from "../../core/policy/manage-policies";
import { storedForForm } from "../../core/config/invalid-stored";
import { policySchema, storedPolicyShape, type Policy } from "../../core/policy/policy";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { validatePolicy } from "./validate-policy";

/** A stored policy as the console shows it (see storedForForm: one this release refuses comes back with why, and its rules when only a pattern is wrong). */
function storedPolicy(raw: unknown): { policy: Policy | null; unreadable: string | null } {
  const { value, unreadable } = storedForForm(policySchema, storedPolicyShape, raw, "(policy)");
  return { policy: value, unreadable };
}

/** Every connection with a summary of its policy (none: everything is allowed). */
export async function listGuardrails(db: Db) {
  const rows = await db
    .select({ id: connections.id, name: connections.name, type: connections.type, policy: policies.policy, updatedAt: policies.updatedAt })
    .from(connections)
    .leftJoin(policies, eq(policies.connectionId, connections.id))
    .orderBy(asc(connections.name));
  return rows.map((r) => {
    const { policy: p, unreadable } = storedPolicy(r.policy);
    return {
      id: r.id,
      name: r.name,
      type: r.type,
      updatedAt: r.updatedAt,
      hasPolicy: Boolean(p),
      unreadable: unreadable !== null,
      defaultAction: p?.defaultAction ?? "allow",
      rules: p?.rules.length ?? 0,
      reviewRules: p?.rules.filter((x) => x.action === "review").length ?? 0,
    };
  });
}

export async function getGuardrails(db: Db, name: string) {
  const [row] = await db
    .select({ id: connections.id, name: connections.name, type: connections.type, policy: policies.policy, updatedAt: policies.updatedAt })
    .from(connections)
    .leftJoin(policies, eq(policies.connectionId, connections.id))
    .where(eq(connections.name, name));
  if (!row) throw new AppError("NOT_FOUND", `no connection named "${name}"`);
  return { id: row.id, name: row.name, type: row.type, ...storedPolicy(row.policy), updatedAt: row.updatedAt };
}

/**
 * Validates a policy (the gateway's schema, unique rule names) and stores it through the gateway's
 * own applyPolicy, which publishes `policies.changed` so every gateway instance reloads it.
 */
export async function saveGuardrails(db: Db, user: ConsoleUserContext, name: string, input: unknown) {
  const check = validatePolicy(input);
  if (!check.ok) throw new AppError("INVALID_INPUT", check.message, check.fieldErrors);
  const before = await getGuardrails(db, name);
  const after = await applyPolicy(db, name, check.policy);
  await recordConsoleEvent(db, {
    action: "console.policy.update",
    outcome: "ok",
    actor: user.email,
    connectionName: name,
    target: before.id,
    before: before.policy,
    after,
    message: `${after.rules.length} rule(s), default ${after.defaultAction}`,
  });
  return { saved: true };
}
