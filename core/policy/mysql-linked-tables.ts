import type { Classification } from "./classify-statement";
import { addEveryTableOf } from "./every-table";
import { bare } from "./reads-rows";

type Node = Record<string, unknown>;

/**
 * Storage engines whose table's rows are other tables' or files': FEDERATED (and MariaDB's FederatedX)
 * and SPIDER read a table on a server the statement names (this one too), MERGE the tables of its
 * UNION, CONNECT a table of another server or a file on this one. Reading such a table names only
 * itself, so its creation (or an ALTER to the engine) is judged as touching every table; CONNECT also
 * as reading the server's files.
 */
const LINKING_ENGINES = /^(?:federated|federatedx|spider|merge|mrg_myisam|connect)$/i;

/**
 * What a MySQL statement acts on besides the tables the grammar lists: the table a CREATE TABLE ...
 * LIKE copies, the rows a CREATE TABLE ... SELECT reads, a table of another's rows (LINKING_ENGINES), and the database of a dropped trigger (a
 * trigger lives in its table's database; `*` unqualified: the session's, which the classification
 * does not know). In place: `c` is the caller's own classification.
 */
export function addLinkedTables(ast: Node, c: Classification, addTable: (tables: string[], db: unknown, table: string) => void): void {
  const type = String(ast.type ?? "").toLowerCase();
  const keyword = String(ast.keyword ?? "").toLowerCase();
  if (type === "create" && keyword === "table") {
    for (const t of ((ast.like as Node | undefined)?.table as Node[] | undefined) ?? []) if (typeof t.table === "string") addTable(c.tables, t.db, t.table);
    // CREATE TABLE ... SELECT reads the rows of what its query names besides the table it creates: it runs a SELECT. A plain
    // CREATE TABLE (LIKE or not) reads none, as reads-rows.ts takes it.
    const created = new Set((((ast.table as Node[] | undefined) ?? []).map((t) => t.table) as unknown[]).filter((t): t is string => typeof t === "string").map(bare));
    if (ast.query_expr && c.tables.some((t) => !created.has(bare(t))) && !c.runs.includes("SELECT")) c.runs.push("SELECT");
  }
  if (type === "create" || type === "alter")
    for (const option of [...((ast.table_options as Node[] | undefined) ?? []), ...((ast.expr as Node[] | undefined) ?? [])]) {
      if (String(option?.keyword ?? "").toLowerCase() !== "engine") continue;
      const engine = String(option.engine ?? option.value ?? "");
      if (!LINKING_ENGINES.test(engine)) continue;
      addEveryTableOf(c, "*");
      if (/^connect$/i.test(engine)) c.copiesServerFile = true;
    }
  if (type === "drop" && keyword === "trigger") for (const name of (ast.name as Node[] | undefined) ?? []) addEveryTableOf(c, typeof name.schema === "string" && name.schema ? name.schema : "*");
}
