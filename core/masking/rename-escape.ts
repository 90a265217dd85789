import { referenceCovered, type SessionMasking } from "./compile-rules";
import { relationName } from "../sql/relation-name";

type Node = Record<string, unknown>;
const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null;

/** What a rename or a move to another schema takes out from under a column rule, if anything. */
export function renameEscape(r: Node, m: SessionMasking): string | null {
  const newName = String(r.newname ?? "").toLowerCase();
  // The rules that would no longer match once renamed (a rule the new name still matches keeps covering it).
  const losing = (keep: (rule: SessionMasking["columns"][number]) => boolean) => ({ ...m, columns: m.columns.filter((rule) => !keep(rule)) });
  if (r.renameType === "OBJECT_SCHEMA") {
    const schema = String(r.subname ?? "").toLowerCase();
    const hit = m.columns.find((rule) => rule.schema !== null && rule.schema.test(schema) && !rule.schema.test(newName));
    return hit ? `schema ${schema}` : null;
  }
  if (!isObj(r.relation)) return null;
  const table = relationName(r.relation);
  if (r.renameType === "OBJECT_COLUMN") {
    const column = String(r.subname ?? "");
    return referenceCovered(
      losing((rule) => rule.column.test(newName)),
      table,
      column,
    )
      ? `${table}.${column}`
      : null;
  }
  if (typeof r.newschema === "string") {
    const schema = r.newschema.toLowerCase();
    return referenceCovered(
      losing((rule) => rule.schema === null || rule.schema.test(schema)),
      table,
      "*",
    )
      ? table
      : null;
  }
  if (r.renameType === "OBJECT_TABLE" || r.renameType === "OBJECT_VIEW" || r.renameType === "OBJECT_MATVIEW" || r.renameType === "OBJECT_FOREIGN_TABLE") {
    return referenceCovered(
      losing((rule) => rule.table.test(newName)),
      table,
      "*",
    )
      ? table
      : null;
  }
  return null;
}
