import { referenceCovered, type SessionMasking } from "./compile-rules";
import { expressionReads, outputName, statementLineage, type ColumnRead } from "../sql/column-lineage";
import { routineCalls, RUNS_SQL_TEXT, SQL_TEXT_BUILTINS } from "../sql/routine-calls";
import { writtenTables, type WriteEvent } from "../sql/written-tables";
import { relationName } from "../sql/relation-name";
import { renameEscape } from "./rename-escape";

type Node = Record<string, unknown>;
const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null;

/** A statement that would put a masked column's values where masking does not follow them: what, and why it is refused (a sentence's end). */
export type MaskedCopy = {
  column: string;
  reason: string;
  /** The copy is made by the target owner's code (a routine, trigger, rule or default), not by the statement's own words. */ ownerCode?: true;
};

/**
 * What only the target's catalog knows: whether a read of a relation no rule names reaches a masked
 * column through a view (`throughView`), and whether a function is one masking cannot see into
 * (`opaqueCall`: a routine outside pg_catalog written in SQL or a procedural language, which may
 * read and return masked columns). Built-ins that run SQL text count as opaque without it.
 */
export type CopyCatalog = {
  throughView?: (r: ColumnRead) => boolean;
  opaqueCall?: (fn: string) => boolean;
  /** The bodies a call runs (its routine's, and those it calls); null when they could not be read. */
  calledCode?: (fn: string) => string[] | null;
  /** The code a write of these kinds to a table runs besides itself (its triggers' and rules'); null when it could not be read. */
  writeHooks?: (table: string, events: WriteEvent[]) => string[] | null;
  /** The columns of a table whose default or generated value calls routines, with their code; null when it could not be read. */
  computedColumns?: (table: string) => Array<{ column: string; code: string[] }> | null;
};

// Functions that keep a value past the statement, where a later read gets it unmasked, and where they keep it.
const STASHING_FUNCTIONS = new Map([
  ["set_config", "a setting (set_config)"],
  ["pg_notify", "a notification (pg_notify)"],
  ["lo_from_bytea", "a large object (lo_get reads it back)"],
  ["lo_put", "a large object (lo_get reads it back)"],
  ["lowrite", "a large object (lo_get reads it back)"],
  ["setval", "a sequence (setval)"],
  ["pg_logical_emit_message", "the write-ahead log (pg_logical_emit_message)"],
  ["dblink", "another database (dblink)"],
  ["dblink_exec", "another database (dblink)"],
  ["dblink_send_query", "another database (dblink)"],
  ["pg_file_write", "a file on the server (pg_file_write)"],
]);

/**
 * Whether a statement copies a masked column's values into a place masking does not cover: a table
 * (INSERT ... SELECT, CREATE TABLE AS, SELECT INTO, UPDATE ... SET from it, a generated column)
 * whose target column no rule masks, a setting (set_config) or a notification (pg_notify); moves a
 * covered table or column out from under its rule (a rename, another schema); or creates what would
 * see the values later and could put them anywhere (a trigger or a rule on a covered table, a DO
 * block or a function body that names one). Read back later, the values would come out plain.
 * A view over a masked column counts as masked where `throughView` says so (the caller's catalog),
 * and a value computed by a function masking cannot see into is copied as if it were masked.
 * From the parse tree alone, over-approximate as the lineage is (a column is matched by name
 * through every relation of the statement): it may refuse a harmless copy, never let a traced one
 * through. Protocol-agnostic (libpg-query trees).
 */
export function copiesMaskedColumns(tree: Node, m: SessionMasking, catalog: CopyCatalog = {}): MaskedCopy | null {
  if (m.columns.length === 0) return null;
  // A read is covered by a rule, or (from the target's catalog) reaches a masked column through a view the rules do not name.
  const readsMasked = (table: string | null, column: string) => referenceCovered(m, table, column) !== undefined || (catalog.throughView?.({ table, column }) ?? false);
  const covered = (reads: ColumnRead[]) => reads.find((r) => readsMasked(r.table, r.column));
  const name = (r: ColumnRead) => (r.table ? `${r.table}.${r.column}` : r.column);
  // The first word of code (a body, a definition) that names a covered table, or a view over one.
  const namedCovered = (code: string) => code.match(/[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?/g)?.find((w) => readsMasked(w, "*"));
  /**
   * What a routine's body could copy out of masking's sight: a covered table it names (`named`) when
   * it writes, runs SQL or stashes a value (a trigger function always: it sets the rows its trigger
   * writes), or SQL it builds at run time (`named` undefined). Null when neither.
   */
  const bodyCopy = (body: string, trigger: boolean): { named?: string } | null => {
    const named = trigger || SIDE_EFFECTS.test(body) ? namedCovered(body) : undefined;
    if (named) return { named };
    return RUNS_BUILT_SQL.test(body) ? {} : null;
  };
  let found: MaskedCopy | null = null;
  // The destination column is masked too: a copy from one masked column into another stays masked.
  const intoTable = (table: string, columns: Array<string | undefined>, outputs: ColumnRead[][]) => {
    outputs.forEach((reads, i) => {
      const hit = !found && covered(reads);
      const dest = columns[i];
      if (hit && !(dest !== undefined && referenceCovered(m, table, dest)))
        found = { column: name(hit), reason: `it copies ${name(hit)}, which masking protects, into ${table}${dest ? `.${dest}` : ""}, where masking would not follow it` };
    });
  };
  // What a function masking cannot see into returns, copied to `where` (`insert into t select f()`, `create table t as select query_to_xml(...)`).
  const opaqueCopy = (source: unknown, where: string) => {
    const fn = found ? undefined : routineCalls(source).functions.find((f) => RUNS_SQL_TEXT.test(f) || (catalog.opaqueCall?.(f) ?? false));
    if (fn)
      found = {
        column: `${fn}()`,
        reason: `it copies what ${fn}() returns into ${where}, where masking would not follow it: masking cannot see into that function, which may return masked values`,
      };
  };
  // A write runs the target owner's triggers and rules on the table: they see its rows (OLD, and NEW's
  // unchanged columns) and may put them anywhere. An update or a delete changes rows that are there;
  // an insert gives its own (its triggers and rules matter when they read a covered table).
  // `writes`: how the statement comes to write the table (itself, through a routine it calls, or
  // through a trigger or rule of a table it writes, whose own writes are judged TRIGGER_DEPTH levels down).
  const hooked = (table: string, events: WriteEvent[], writes = "writes", depth = 0) => {
    const seesRows = events.includes("update") || events.includes("delete");
    // A default or a generated value computed by a routine that reads a covered table puts that value in the new row.
    const computed = found || !catalog.computedColumns || events.every((e) => e === "delete") ? [] : catalog.computedColumns(table);
    if (computed === null) found = { column: table, reason: `it ${writes} ${table}, whose column defaults Gatehouse could not read: masking cannot tell what they compute`, ownerCode: true };
    for (const c of computed ?? []) {
      const named = found || referenceCovered(m, table, c.column) ? undefined : namedCovered(c.code.join("\n"));
      if (named)
        found = {
          column: `${table}.${c.column}`,
          reason: `it ${writes} ${table}, whose column ${c.column} is computed (its default or generated value) by code that names ${named}, which masking protects: the value lands in ${table}.${c.column}, where masking would not follow it`,
          ownerCode: true,
        };
    }
    const code = found || !catalog.writeHooks ? [] : catalog.writeHooks(table, events);
    if (code === null) found = { column: table, reason: `it ${writes} ${table}, whose triggers or rules Gatehouse could not read: masking cannot tell where they put the values`, ownerCode: true };
    if (!code?.length) return;
    const body = code.join("\n");
    if (seesRows && readsMasked(table, "*") && SIDE_EFFECTS.test(body.replace(/'(?:[^']|'')*'/g, "''")))
      found = {
        column: table,
        reason: `it ${writes} ${table}, whose columns masking protects, and a trigger or rule on it writes, runs SQL or keeps a value: it sees the rows' values and masking cannot follow what it does with them`,
        ownerCode: true,
      };
    const copy = found ? null : bodyCopy(body, false);
    if (copy)
      found = {
        column: copy.named ?? "EXECUTE",
        reason: copy.named
          ? `it ${writes} ${table}, and a trigger or rule on it names ${copy.named}, which masking protects, and writes or runs SQL: masking cannot follow what it does with the values`
          : `it ${writes} ${table}, and a trigger or rule on it builds SQL at run time: masking cannot see what that SQL reads or where it puts the values`,
        ownerCode: true,
      };
    // What those triggers and rules write fires the triggers and rules of those tables in turn.
    if (depth < TRIGGER_DEPTH) for (const w of writtenTables(body)) if (w.table !== table) hooked(w.table, w.events, `${writes} ${table}, whose trigger or rule writes`, depth + 1);
  };
  const walk = (v: unknown): void => {
    if (found) return;
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (isObj(v.InsertStmt)) hooked(relationName(v.InsertStmt.relation), (v.InsertStmt.onConflictClause as Node | undefined)?.action === "ONCONFLICT_UPDATE" ? ["insert", "update"] : ["insert"]);
    if (isObj(v.UpdateStmt)) hooked(relationName(v.UpdateStmt.relation), ["update"]);
    if (isObj(v.DeleteStmt)) hooked(relationName(v.DeleteStmt.relation), ["delete"]);
    if (isObj(v.MergeStmt)) hooked(relationName(v.MergeStmt.relation), ["insert", "update", "delete"]);
    if (isObj(v.CopyStmt) && v.CopyStmt.is_from && isObj(v.CopyStmt.relation)) hooked(relationName(v.CopyStmt.relation), ["insert"]);
    if (isObj(v.InsertStmt) && isObj(v.InsertStmt.selectStmt)) {
      const ins = v.InsertStmt;
      const lineage = statementLineage(ins.selectStmt as Node);
      const cols = ((ins.cols as Node[] | undefined) ?? []).map((c) => String((c.ResTarget as Node).name));
      if (lineage)
        intoTable(
          relationName(ins.relation),
          cols,
          lineage.outputs.map((o) => o.reads),
        );
      opaqueCopy(ins.selectStmt, relationName(ins.relation));
    }
    if (isObj(v.CreateTableAsStmt) && isObj(v.CreateTableAsStmt.query)) {
      const ctas = v.CreateTableAsStmt;
      const into = ctas.into as Node;
      const query = ctas.query as Node;
      const lineage = statementLineage(query);
      const named = ((into.colNames as Node[] | undefined) ?? []).map((n) => (n.String as { sval?: string } | undefined)?.sval);
      const targets = ((query.SelectStmt as Node | undefined)?.targetList as unknown[] | undefined) ?? [];
      if (lineage)
        intoTable(
          relationName(into.rel),
          lineage.outputs.map((_, i) => named[i] ?? outputName(targets[i])),
          lineage.outputs.map((o) => o.reads),
        );
      opaqueCopy(query, relationName(into.rel));
    }
    if (isObj(v.SelectStmt) && isObj(v.SelectStmt.intoClause)) {
      // SELECT ... INTO new_table: CREATE TABLE AS by another name.
      const sel = v.SelectStmt;
      const into = sel.intoClause as Node;
      const lineage = statementLineage({ SelectStmt: { ...sel, intoClause: undefined } });
      const targets = (sel.targetList as unknown[] | undefined) ?? [];
      if (lineage)
        intoTable(
          relationName(into.rel),
          lineage.outputs.map((_, i) => outputName(targets[i])),
          lineage.outputs.map((o) => o.reads),
        );
      opaqueCopy([sel.targetList, sel.fromClause], relationName(into.rel));
    }
    if (isObj(v.CopyStmt) && !v.CopyStmt.is_from && (v.CopyStmt.filename || v.CopyStmt.is_program)) {
      // COPY ... TO a server file or a program: pg_read_file or COPY FROM would read it back unmasked (TO STDOUT is masked as it streams).
      const copy = v.CopyStmt;
      const where = copy.is_program ? "a program" : "a file on the server";
      if (isObj(copy.query)) {
        const lineage = statementLineage(copy.query);
        const hit = lineage && covered(lineage.outputs.flatMap((o) => o.reads));
        if (hit && !found) found = { column: name(hit), reason: `it copies ${name(hit)}, which masking protects, to ${where}, where masking would not follow it` };
        opaqueCopy(copy.query, where);
      } else if (isObj(copy.relation)) {
        const table = relationName(copy.relation);
        const cols = ((copy.attlist as Node[] | undefined) ?? []).map((a) => (a.String as { sval?: string } | undefined)?.sval ?? "");
        const hit = cols.length ? cols.find((c) => readsMasked(table, c)) : readsMasked(table, "*") ? "*" : undefined;
        if (hit && !found) found = { column: `${table}.${hit}`, reason: `it copies ${table}${hit === "*" ? "" : `.${hit}`}, which masking protects, to ${where}, where masking would not follow it` };
      }
    }
    if (isObj(v.RenameStmt) || isObj(v.AlterObjectSchemaStmt)) {
      // A covered table or column renamed (or moved to another schema) so that its rule no longer matches: its values would read unmasked.
      const what = renameEscape((v.RenameStmt ?? v.AlterObjectSchemaStmt) as Node, m);
      if (what && !found) found = { column: what, reason: `it renames or moves ${what}, which masking protects: its rule would no longer match it, and its values would read unmasked` };
    }
    if (isObj(v.DoStmt)) {
      // Code the gateway cannot follow (a DO block's body): refused when it names a table a rule
      // covers, or always when a rule covers every table (the body may name one through search_path).
      const body =
        ((v.DoStmt.args as Node[] | undefined) ?? []).map((a) => ((a.DefElem as Node | undefined)?.arg as Node | undefined)?.String as { sval?: string } | undefined).find((x) => x?.sval)?.sval ?? "";
      const everyTable = m.columns.find((r) => r.table.test("\u0000any table\u0000"));
      const named = everyTable ? undefined : namedCovered(body);
      const what = everyTable ? `columns of every table (${everyTable.rule.column})` : named;
      if (what && !found)
        found = {
          column: what,
          reason: `it runs a DO block on a connection where masking protects ${everyTable ? what : `${what}, which the block names`}, and masking cannot follow what its code does with the values`,
        };
      // SQL built at run time names its tables in no word of the body (`execute 'insert into c select * from cust' || 'omers'`).
      if (!found && RUNS_BUILT_SQL.test(body))
        found = {
          column: "EXECUTE",
          reason: "it runs a DO block that builds SQL at run time on a connection whose columns masking protects: masking cannot see what that SQL reads or where it puts the values",
        };
    }
    if (isObj(v.CreateFunctionStmt)) {
      // A function's body runs later, out of sight; what it returns is redacted (result masking), but
      // a body that names a covered table and writes, runs SQL text or stashes values could copy
      // them as a side effect: refused.
      // A trigger function writes by what it does to NEW (`new.note := (select name from customers)`).
      const body = stringsOf(((v.CreateFunctionStmt.options as Node[] | undefined) ?? []).filter((o) => (o.DefElem as Node | undefined)?.defname === "as")).join("\n");
      const returns = String(((v.CreateFunctionStmt.returnType as Node | undefined)?.names as Array<{ String?: { sval?: string } }> | undefined)?.at(-1)?.String?.sval ?? "");
      const trigger = returns === "trigger" || returns === "event_trigger";
      const copy = found ? null : bodyCopy(body, trigger);
      if (copy?.named)
        found = {
          column: copy.named,
          reason: `it creates a ${trigger ? "trigger function" : "function"} whose body names ${copy.named}, which masking protects, and ${trigger ? "sets the rows a trigger writes" : "writes or runs SQL"}: masking cannot follow what it does with the values`,
        };
      else if (copy)
        found = {
          column: "EXECUTE",
          reason: "it creates a function that builds SQL at run time on a connection whose columns masking protects: masking cannot see what that SQL reads or where it puts the values",
        };
    }
    if (isObj(v.CreateTrigStmt) || isObj(v.RuleStmt)) {
      // A trigger's function or a rule's actions see every row of the table as it changes (NEW.name) and can put it anywhere.
      const t = (v.CreateTrigStmt ?? v.RuleStmt) as Node;
      const table = relationName(t.relation);
      const what = isObj(v.CreateTrigStmt) ? "a trigger" : "a rule";
      if (readsMasked(table, "*") && !found)
        found = { column: table, reason: `it creates ${what} on ${table}, whose columns masking protects: it would see their values as rows change and could copy them anywhere` };
    }
    for (const table of isObj(v.AlterTableStmt) || isObj(v.CreateStmt) ? [relationName(((v.AlterTableStmt ?? v.CreateStmt) as Node).relation)] : []) {
      // A generated column computed from a covered column is a copy of it in a column of its own.
      walkColumnDefs(v, (def) => {
        for (const c of (def.constraints as Node[] | undefined) ?? []) {
          const con = c.Constraint as Node | undefined;
          if (con?.contype === "CONSTR_GENERATED") intoTable(table, [String(def.colname)], [expressionReads(tree, con.raw_expr)]);
        }
      });
    }
    if (isObj(v.UpdateStmt)) {
      const upd = v.UpdateStmt;
      const targets = (upd.targetList as Node[] | undefined) ?? [];
      intoTable(
        relationName(upd.relation),
        targets.map((t) => String((t.ResTarget as Node).name)),
        targets.map((t) => expressionReads(tree, (t.ResTarget as Node).val)),
      );
      opaqueCopy([upd.targetList, upd.fromClause], relationName(upd.relation));
    }
    // CALL's function is a FuncCall node of its own, not wrapped as one.
    const call = isObj(v.FuncCall) ? v.FuncCall : isObj(v.CallStmt) && isObj(v.CallStmt.funccall) ? v.CallStmt.funccall : null;
    if (call) {
      const qualified = funcName(call.funcname);
      const fn = qualified.split(".").at(-1) ?? "";
      const into = STASHING_FUNCTIONS.get(fn);
      const hit = into ? covered(expressionReads(tree, call.args)) : undefined;
      if (hit && !found) found = { column: name(hit), reason: `it copies ${name(hit)}, which masking protects, into ${into}, where masking would not follow it` };
      if (into) opaqueCopy(call.args, into);
      // A routine that already exists (the target owner's) runs its body out of sight as well: judged as if it were being created.
      const called = found ? undefined : catalog.calledCode?.(qualified);
      if (called === null)
        found = {
          column: `${fn}()`,
          reason: `it calls ${fn}(), whose code Gatehouse could not read (or calls routines too deep to follow): masking cannot tell where it puts the values it reads`,
          ownerCode: true,
        };
      const copy = called?.length ? bodyCopy(called.join("\n"), false) : null;
      if (copy)
        found = {
          column: `${fn}()`,
          reason: copy.named
            ? `it calls ${fn}(), whose code names ${copy.named}, which masking protects, and writes or runs SQL: masking cannot follow what it does with the values`
            : `it calls ${fn}(), whose code builds SQL at run time: masking cannot see what that SQL reads or where it puts the values`,
          ownerCode: true,
        };
      // What the call is given goes where its code puts it: a covered column passed to code with side effects.
      const given = !found && called?.length && SIDE_EFFECTS.test(called.join("\n")) ? covered(expressionReads(tree, call.args)) : undefined;
      if (given)
        found = {
          column: name(given),
          reason: `it passes ${name(given)}, which masking protects, to ${fn}(), whose code writes, runs SQL or keeps a value: masking cannot follow where it puts it`,
          ownerCode: true,
        };
      // The tables that code writes fire their own triggers and rules.
      for (const w of called?.length ? writtenTables(called.join("\n")) : []) hooked(w.table, w.events, `calls ${fn}(), which writes`);
    }
    for (const k in v) walk(v[k]);
  };
  walk(tree);
  return found;
}

// How many levels of tables written by triggers and rules are followed (each may wait for one more catalog read).
const TRIGGER_DEPTH = 2;

/** A FuncCall's name as written (lower case, with its schema when given), as routineCalls names it. */
function funcName(list: unknown): string {
  return ((list as Node[] | undefined) ?? [])
    .map((n) => (n.String as { sval?: string } | undefined)?.sval ?? "")
    .join(".")
    .toLowerCase();
}

function walkColumnDefs(v: unknown, visit: (def: Node) => void): void {
  if (Array.isArray(v)) return v.forEach((x) => walkColumnDefs(x, visit));
  if (!isObj(v)) return;
  if (isObj(v.ColumnDef)) visit(v.ColumnDef);
  for (const k in v) walkColumnDefs(v[k], visit);
}

// Code that runs SQL built at run time: PL/pgSQL's EXECUTE, the built-ins that run SQL text, dblink.
const RUNS_BUILT_SQL = new RegExp(`\\bexecute\\b|\\b(?:${SQL_TEXT_BUILTINS})\\b|\\bdblink`, "i");
// What in a function body can put values somewhere: writes, SQL run from text, and the functions that keep a value past the statement.
const SIDE_EFFECTS = new RegExp(`\\b(?:insert|update|merge|copy|create|alter|execute|${[...STASHING_FUNCTIONS.keys()].join("|")})\\b`, "i");

/** Every string value in a part of a tree (a function body's text, however it is wrapped). */
function stringsOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(stringsOf);
  if (!isObj(v)) return [];
  if (isObj(v.String) && typeof v.String.sval === "string") return [v.String.sval];
  return Object.values(v).flatMap(stringsOf);
}
