import { parseStored, showStored } from "../config/invalid-stored";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { policies } from "../../drizzle/schema/index";
import { policySchema, type Policy } from "./policy";
import { publish } from "../bus/event-bus";
import { connectionId } from "../connections/connection-id";

/** Validates and stores a connection's policy, then tells every gateway instance to reload it. */
export async function applyPolicy(db: Db, connectionName: string, input: unknown): Promise<Policy> {
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`invalid policy:\n${parsed.error.issues.map((i) => `  ${i.path.join(".") || "(policy)"}: ${i.message}`).join("\n")}`);
  }
  const id = await connectionId(db, connectionName);
  await db
    .insert(policies)
    .values({ connectionId: id, policy: parsed.data })
    .onConflictDoUpdate({ target: policies.connectionId, set: { policy: parsed.data, updatedAt: sql`now()` } });
  await publish(db, "policies.changed", { connectionId: id });
  return parsed.data;
}

/** A connection's policy as stored (null: none), with why this release refuses it, if it does (see showStored). */
export async function showPolicy(db: Db, connectionName: string): Promise<{ document: unknown; problem: string | null } | null> {
  const id = await connectionId(db, connectionName);
  const [row] = await db.select({ policy: policies.policy }).from(policies).where(eq(policies.connectionId, id));
  return row ? showStored("guardrail policy", policySchema, row.policy) : null;
}

/** The stored policy of a connection by id (the gateway's view), or null when it has none; InvalidStoredRules when this release no longer accepts it. */
export async function loadPolicy(db: Db, id: string): Promise<Policy | null> {
  const [row] = await db.select({ policy: policies.policy }).from(policies).where(eq(policies.connectionId, id));
  return row ? parseStored("guardrail policy", policySchema, row.policy) : null;
}
