import { objectName } from "../sql/statement-analyzer";

// What a PostgreSQL statement acts on that is not a relation its parse tree names (classify-statement.ts
// reads those): whole schemas, the table a sequence belongs to, the table a foreign table reads, the ALTER kind of a RENAME.

type Node = Record<string, unknown>;

export const TABLE_LIKE = new Set(["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE", "OBJECT_SEQUENCE", "OBJECT_INDEX"]);
/**
 * The schemas a statement acts on as a whole: `GRANT ... ON ALL TABLES IN SCHEMA`, a grant on a schema,
 * `ALTER DEFAULT PRIVILEGES IN SCHEMA`, renaming, dropping or giving away a schema, importing a foreign schema into one, a
 * publication of a schema's tables; `*`, every schema: a publication of all tables, REASSIGN and DROP OWNED (what a
 * role owns may be any table), a subscription (it writes the tables its publication names).
 */
export function schemasActedOn(top: string, body: Node): string[] {
  if (top === "GrantStmt" && (body.targtype === "ACL_TARGET_ALL_IN_SCHEMA" || body.objtype === "OBJECT_SCHEMA")) return names(body.objects);
  if (top === "DropStmt" && body.removeType === "OBJECT_SCHEMA") return names(body.objects);
  if (top === "RenameStmt" && body.renameType === "OBJECT_SCHEMA" && typeof body.subname === "string") return [body.subname];
  // A schema's owner may drop (and rename) any table in it, whoever owns the table: a new owner takes that power over them all.
  if (top === "AlterOwnerStmt" && body.objectType === "OBJECT_SCHEMA") return names([body.object]);
  // IMPORT FOREIGN SCHEMA: the schema it fills, and the one it reads (this database's own, through a loopback server).
  if (top === "ImportForeignSchemaStmt") return [body.local_schema, body.remote_schema].filter((x): x is string => typeof x === "string");
  // A publication of all tables, or of a schema's, lets its subscribers read them.
  if ((top === "CreatePublicationStmt" || top === "AlterPublicationStmt") && body.for_all_tables) return ["*"];
  if (top === "CreatePublicationStmt" || top === "AlterPublicationStmt")
    return ((body.pubobjects as Node[] | undefined) ?? [])
      .map((o) => o.PublicationObjSpec as Node | undefined)
      .filter((o) => o?.pubobjtype === "PUBLICATIONOBJ_TABLES_IN_SCHEMA" || o?.pubobjtype === "PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA")
      .map((o) => (typeof o!.name === "string" ? o!.name : "*"));
  // What a role owns may be any table (REASSIGN and DROP OWNED); a subscription writes the tables its publication names.
  if (top === "ReassignOwnedStmt" || top === "DropOwnedStmt" || top === "CreateSubscriptionStmt" || top === "AlterSubscriptionStmt") return ["*"];
  if (top === "AlterDefaultPrivilegesStmt") {
    return names(listOption(body, "schemas"));
  }
  return [];
}

/** What is defined on a table and named after it (`... p ON vault.keys`). */
export const ON_TABLE = new Set(["OBJECT_POLICY", "OBJECT_TRIGGER", "OBJECT_RULE", "OBJECT_TABCONSTRAINT"]);

/** The items of a statement's option whose value is a list (`SCHEMAS a, b`, `OWNED BY t.c`). */
const listOption = (body: Node, name: string): unknown =>
  ((((body.options as Node[] | undefined) ?? []).map((o) => o.DefElem as Node | undefined).find((d) => d?.defname === name)?.arg as Node | undefined)?.List as Node | undefined)?.items;

export const names = (list: unknown): string[] => (Array.isArray(list) ? list.map((n) => ((n as Node).String as { sval?: string } | undefined)?.sval).filter((s): s is string => !!s) : []);

/**
 * RENAME, SET SCHEMA and OWNER TO are ALTER statements of their object (psql's tag: ALTER TABLE), and
 * ALTER INDEX, VIEW, MATERIALIZED VIEW, SEQUENCE and FOREIGN TABLE share ALTER TABLE's node: the kind
 * a rule on them names (undefined: none besides the statement's own).
 */
export function alteredKind(top: string, body: Node): string | undefined {
  const column = /^OBJECT_(COLUMN|TABCONSTRAINT|ATTRIBUTE)$/;
  const type =
    top === "RenameStmt"
      ? column.test(String(body.renameType))
        ? body.relationType
        : body.renameType
      : top === "AlterObjectSchemaStmt" || top === "AlterOwnerStmt"
        ? body.objectType
        : top === "AlterTableStmt" && body.objtype !== "OBJECT_TABLE"
          ? body.objtype
          : undefined;
  return type ? `ALTER ${objectName(type)}` : undefined;
}

/** The table whose column a sequence is OWNED BY (dropped with it), as written; undefined: none. */
export function sequenceOwner(top: string, body: Node): string | undefined {
  if (top !== "CreateSeqStmt" && top !== "AlterSeqStmt") return undefined;
  return names(listOption(body, "owned_by")).slice(0, -1).join(".") || undefined;
}

/**
 * The table a foreign table reads on its server: its `schema_name` and `table_name` options, else its
 * own names (postgres_fdw's defaults). Through a loopback server that is this database's table, so a
 * rule on it meets the foreign table's creation. Undefined for any other statement.
 */
export function foreignSource(top: string, body: Node): string | undefined {
  // ALTER FOREIGN TABLE ... OPTIONS (SET table_name ...) points it elsewhere: named as CREATE names it (what it does not set, its own names).
  const altered =
    top === "AlterTableStmt" && body.objtype === "OBJECT_FOREIGN_TABLE"
      ? ((body.cmds as Node[] | undefined) ?? [])
          .map((c) => c.AlterTableCmd as Node | undefined)
          .filter((c) => c?.subtype === "AT_GenericOptions")
          .flatMap((c) => (((c!.def as Node | undefined)?.List as Node | undefined)?.items as Node[] | undefined) ?? [])
      : undefined;
  if (top !== "CreateForeignTableStmt" && !altered?.length) return undefined;
  const relation = (altered ? body.relation : (body.base as Node | undefined)?.relation) as Node | undefined;
  const options = (altered ?? (body.options as Node[] | undefined) ?? []).map((o) => o.DefElem as Node | undefined);
  const option = (name: string) => ((options.find((d) => d?.defname === name)?.arg as Node | undefined)?.String as { sval?: string } | undefined)?.sval;
  const schema = option("schema_name") ?? (relation?.schemaname as string | undefined);
  const table = option("table_name") ?? (relation?.relname as string | undefined);
  return table ? (schema ? `${schema}.${table}` : table) : undefined;
}
