import { parseStored, showStored } from "../config/invalid-stored";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { maskingRules } from "../../drizzle/schema/index";
import { maskingRulesSchema, validateMaskingRules, type MaskingRules } from "./masking-rules";
import { publish } from "../bus/event-bus";
import { connectionId } from "../connections/connection-id";

/** Validates and stores a connection's masking rules, then tells every gateway instance to reload them. */
export async function applyMaskingRules(db: Db, connectionName: string, input: unknown): Promise<MaskingRules> {
  const v = validateMaskingRules(input);
  if (!v.ok) throw new Error(`invalid masking rules:\n${v.issues.map((i) => `  ${i}`).join("\n")}`);
  const id = await connectionId(db, connectionName);
  await db
    .insert(maskingRules)
    .values({ connectionId: id, rules: v.rules })
    .onConflictDoUpdate({ target: maskingRules.connectionId, set: { rules: v.rules, updatedAt: sql`now()` } });
  await publish(db, "masking.changed", { connectionId: id });
  return v.rules;
}

/** A connection's masking rules as stored (null: none), with why this release refuses them, if it does (see showStored). */
export async function showMaskingRules(db: Db, connectionName: string): Promise<{ document: unknown; problem: string | null } | null> {
  const id = await connectionId(db, connectionName);
  const [row] = await db.select({ rules: maskingRules.rules }).from(maskingRules).where(eq(maskingRules.connectionId, id));
  return row ? showStored("masking rules", maskingRulesSchema, row.rules) : null;
}

/** The stored rules of a connection by id (the gateway's view), or null when it has none; InvalidStoredRules when this release no longer accepts them. */
export async function loadMaskingRules(db: Db, id: string): Promise<MaskingRules | null> {
  const [row] = await db.select({ rules: maskingRules.rules }).from(maskingRules).where(eq(maskingRules.connectionId, id));
  return row ? parseStored("masking rules", maskingRulesSchema, row.rules) : null;
}
