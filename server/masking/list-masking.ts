import "server-only";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, maskingRules } from "../../drizzle/schema/index";
import { BUILT_IN_DETECTOR_IDS, maskingRulesSchema } from "../../core/masking/masking-rules";
import { summariseMaskingRules } from "./summarise-masking-rules";

/**
 * Every connection with a summary of its masking rules (none: results pass unmasked). A stored
 * document the schema refuses is reported, not thrown: the gateway refuses that connection's
 * sessions (fail closed), and the list must still show the others.
 */
export async function listMasking(db: Db) {
  const rows = await db
    .select({ id: connections.id, name: connections.name, type: connections.type, rules: maskingRules.rules, updatedAt: maskingRules.updatedAt })
    .from(connections)
    .leftJoin(maskingRules, eq(maskingRules.connectionId, connections.id))
    .orderBy(asc(connections.name));
  const builtInCount = BUILT_IN_DETECTOR_IDS.length;
  return rows.map((r) => {
    const base = { id: r.id, name: r.name, type: r.type, updatedAt: r.updatedAt, builtInCount };
    if (!r.rules) return { ...base, state: "none" as const, summary: null };
    const parsed = maskingRulesSchema.safeParse(r.rules);
    if (!parsed.success) return { ...base, state: "unreadable" as const, summary: null };
    return { ...base, state: "set" as const, summary: summariseMaskingRules(parsed.data) };
  });
}
