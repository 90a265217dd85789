import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, maskingRules } from "../../drizzle/schema/index";
import { maskingRulesSchema, storedMaskingRulesShape } from "../../core/masking/masking-rules";
import { storedForForm } from "../../core/config/invalid-stored";
import { AppError } from "../errors/app-error";
import { describeDetectors } from "./describe-detectors";

/** The connection and its stored rules document as stored (null: none). */
export async function readMaskingRow(db: Db, name: string) {
  const [row] = await db
    .select({ id: connections.id, name: connections.name, rules: maskingRules.rules, updatedAt: maskingRules.updatedAt })
    .from(connections)
    .leftJoin(maskingRules, eq(maskingRules.connectionId, connections.id))
    .where(eq(connections.name, name));
  if (!row) throw new AppError("NOT_FOUND", `no connection named "${name}"`);
  return row;
}

/**
 * A connection's masking rules for the form (null: none set) and the built-in detectors it offers.
 * Stored rules the schema refuses (the gateway then refuses the connection's sessions) come back
 * with the reason as `unreadable`, and as stored when only a pattern is wrong (see storedForForm).
 */
export async function getMaskingRules(db: Db, name: string) {
  const row = await readMaskingRow(db, name);
  const { value: rules, unreadable } = storedForForm(maskingRulesSchema, storedMaskingRulesShape, row.rules, "(rules)");
  return { id: row.id, name: row.name, rules, unreadable, updatedAt: row.updatedAt, detectors: describeDetectors() };
}
