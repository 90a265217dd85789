import { analyzeMysql } from "../../../core/policy/classify-mysql";
import type { Classification } from "../../../core/policy/classify-statement";
import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import { referenceCovered, type SessionMasking } from "../../../core/masking/compile-rules";
import { looksMasked, MASKED_SHAPE } from "../../../core/masking/masked-shape";
import { mysqlSinks } from "../../../core/sql/mysql-sinks";
import { mysqlLineage } from "../../../core/sql/mysql-columns";
import { quotedParts } from "../../../core/sql/mysql-lexer";
import { mysqlWrites } from "../../../core/sql/mysql-writes";
import { writtenTables } from "../../../core/sql/written-tables";
import { ruleThroughViews } from "./view-rules";
import { CALLED, type ViewCatalog } from "./view-catalog";

// What masking refuses before a MySQL text runs: a masked value written back, a masked column copied
// out of its sight (through the target owner's routines and triggers too). The policy's own judge is
// statement-guard.ts.

/**
 * A write that would store what masking showed (`[REDACTED]`, a token, `****1234`, a partial mask
 * such as `**-**71-QQ` as a whole string) into a table a column rule covers: refused, since writing
 * the masked form back would destroy the real value. By the statement's tables, not its columns
 * (over-refusing rather than under), a view over a covered column included (`views`: its views
 * must be loaded first, see mayWriteMasked). Values bound to a prepared statement's parameters are
 * checked at each execute (prepared-writes.ts), against maskedWriteTable.
 *
 * `staged`: the session's staging tables, those no rule covers that it gave masked-looking values
 * (`insert into fix values (1, '[REDACTED]')`); a write into a covered table that reads one
 * (`update users u join fix f on ... set u.code = f.code`) is refused too, and a write that passes
 * marks the uncovered tables it names when it carries a masked-looking value.
 */
export function maskedWriteRefusal(
  masking: SessionMasking | null,
  text: string,
  serverVersion?: number,
  views: ViewCatalog | null = null,
  staged: Set<string> = new Set(),
): { refusal: MysqlError; kind: string } | null {
  if (!masking || masking.columns.length === 0 || !mayWriteMasked(text, staged)) return null;
  const loads = /\bload\b/i.test(text);
  const analysis = analyzeMysql(text, serverVersion);
  // A load the classifier cannot read (LOAD XML with a SET clause...) may fill a masked table: refused (a policy would refuse it too).
  if (!analysis.ok) return loads && /\bload\s+(data|xml)\b/i.test(text) ? loadRefusal("LOAD", "a table it could not read") : null;
  for (const s of analysis.statements) {
    const c = s.classification;
    // LOAD DATA's and LOAD XML's rows come from a file the gateway does not read for masked values.
    const loaded = c.kind === "LOAD DATA" || c.kind === "LOAD XML" ? coveredTableOf(c, masking, views) : undefined;
    if (loaded) return loadRefusal(c.kind, loaded);
    if (!c.classes.includes("write")) continue;
    const table = coveredTableOf(c, masking, views);
    const from = table ? c.tables.find((t) => staged.has(bareName(t)) && bareName(t) !== bareName(table)) : undefined;
    if (table && from) return { kind: c.kind, refusal: maskedWriteError(c.kind, table, from) };
    if (!(MASKED_SHAPE.test(s.executable) || quotedParts(s.executable).strings.some(looksMasked))) continue;
    if (table) return { kind: c.kind, refusal: maskedWriteError(c.kind, table) };
    for (const t of c.tables) staged.add(bareName(t));
  }
  return null;
}

const bareName = (t: string) => t.toLowerCase().split(".").at(-1)!;

/** The refusal of a write that carries a masked value into `table` (`from`: read from a staging table the session gave masked values). */
export const maskedWriteError = (kind: string, table: string, from?: string) =>
  new MysqlError(
    Err.TableAccessDenied,
    `Gatehouse refused this ${kind}: it writes a masked value into ${table}${from ? ` (from ${from}, which this session gave masked values)` : ""}, whose columns are masked for you`,
  );

/** Whether a text may write a masked value, copy one from a staging table, or load a file (what maskedWriteRefusal reads more closely): the views it names are looked up first. */
export const mayWriteMasked = (text: string, staged?: Set<string>): boolean =>
  /\bload\b/i.test(text) || (/\b(insert|replace|update)\b/i.test(text) && ((staged?.size ?? 0) > 0 || text.includes("*") || MASKED_SHAPE.test(text)));

/**
 * The first table (or view) of a statement that holds a column a rule covers: by the rules, or, for a
 * view, by what its columns read (view-rules.ts). A name whose views are not loaded, or could not be
 * read, counts as covered: its values are then checked (fail closed).
 */
function coveredTableOf(c: Classification, masking: SessionMasking, views: ViewCatalog | null): string | undefined {
  return c.tables.find((table) => isCoveredRelation(masking, views, table));
}

const isCoveredRelation = (masking: SessionMasking, views: ViewCatalog | null, name: string): boolean =>
  referenceCovered(masking, name, "*") !== undefined || (views !== null && ruleThroughViews(masking, views, [{ table: name, column: "*" }], []) !== undefined);

/** The first table a column rule covers that a text writes into (a view over one included), and the kind of that write; null when it writes into none (or cannot be read). */
export function maskedWriteTable(masking: SessionMasking, text: string, serverVersion?: number, views: ViewCatalog | null = null): { table: string; kind: string } | null {
  const analysis = analyzeMysql(text, serverVersion);
  if (!analysis.ok) return null;
  for (const { classification: c } of analysis.statements) {
    const table = c.classes.includes("write") ? coveredTableOf(c, masking, views) : undefined;
    if (table) return { table, kind: c.kind };
  }
  return null;
}

function loadRefusal(kind: string, table: string): { refusal: MysqlError; kind: string } {
  const message = `Gatehouse refused this ${kind}: it loads rows into ${table}, whose columns are masked for you, and the gateway does not read the file for masked values; use INSERT, whose values are checked`;
  return { kind, refusal: new MysqlError(Err.TableAccessDenied, message) };
}

// Words of a text that may read a table's rows (for one the grammar cannot read).
const READS_ROWS = /\b(select|insert|replace|update|into)\b/i;
// Texts that may put values somewhere besides the result (see mysqlSinks).
const MAY_COPY = /\b(insert|replace|update|create|into|set|rename|alter|diagnostics)\b|:=/i;
const MAY_BUILD_SQL = /\b(prepare|immediate)\b/i;
/**
 * PREPARE ... FROM or EXECUTE IMMEDIATE given anything but one quoted text (`@q`, `concat(...)`,
 * `'insert ... fr' 'om us' 'ers'`, which the server joins): SQL built at run time, which reaches the
 * server without the gateway reading it. Judged on the code outside strings and comments.
 */
function runsBuiltSql(text: string): boolean {
  if (!MAY_BUILD_SQL.test(text)) return false;
  const code = quotedParts(text).code.replace(/\/\*[\s\S]*?\*\/|(?:--\s|#)[^\n]*/g, " ");
  return /\b(?:prepare\s+\S+\s+from|execute\s+immediate)\s+(?!(?:''|"")\s*(?:;|$|using\b))\S/i.test(code);
}
/**
 * GET DIAGNOSTICS taking a condition's message into a variable (a word in a comment or string counts
 * too: refused rather than read closely). Two tests, not `diagnostics[\s\S]*message_text`, which
 * backtracks over the rest of the text from every "diagnostics" in it: quadratic on a long text.
 */
const takesDiagnosticsMessage = (text: string): boolean => /\bdiagnostics\b/i.test(text) && /\bmessage_text\b/i.test(text);

// A routine called (`call p`, `f(`): a stored one runs code the text does not show.
const CALLS = /\bcall\b|[\w$`]\s*\(/i;
// A write runs its table's triggers (INSERT, UPDATE and REPLACE are in MAY_COPY).
const WRITES = /\b(delete|load)\b/i;

/** Whether a text is worth checking for copies of masked columns (cheap: no parse). */
export const mayCopy = (masking: SessionMasking, text: string): boolean => masking.columns.length > 0 && (MAY_COPY.test(text) || MAY_BUILD_SQL.test(text) || CALLS.test(text) || WRITES.test(text));

/**
 * Why a stored procedure or function a text calls (one that already exists: the target owner's) may
 * copy a column masking protects, judged by the code it runs (ViewCatalog.routineCode, bodies of the
 * routines it calls included) as the text itself would be: it names a covered column, table or view
 * and writes, sets a variable or prepares SQL; or it prepares SQL built at run time; or its code
 * cannot be read. Null when none does (or the routines are not known: nothing is called then).
 */
function routineCopy(masking: SessionMasking, views: ViewCatalog, text: string): string | null {
  const called = new Set<string>();
  for (const m of quotedParts(text).code.matchAll(CALLED)) called.add((m[1] ?? m[2]).toLowerCase());
  for (const name of called) {
    const code = views.routineCode(name);
    if (code === null) return `it calls ${name}, a stored routine whose body the gateway cannot read (the account may not see its definition), so it cannot tell where the values masking protects go`;
    const copy = code?.length ? bodyCopy(masking, views, code.join("\n")) : null;
    if (copy?.named)
      return `it calls ${name}, a stored routine whose body names ${copy.named}, which masking protects, and writes, sets a variable or prepares SQL: masking cannot follow what it does with the values`;
    if (copy) return `it calls ${name}, a stored routine whose body prepares SQL built at run time: masking cannot see what that SQL reads or where it puts the values`;
    const written = code?.length ? writtenTablesCopy(masking, views, code.join("\n"), `calls ${name}, which writes`) : null;
    if (written) return written;
    // What the call may be given goes where its body puts it: a text that names a covered column and calls a body with side effects.
    const given = code?.length && hasSideEffects(code.join("\n")) ? coveredWord(masking, quotedParts(text).code) : undefined;
    if (given)
      return `it calls ${name}, a stored routine whose body writes, sets a variable or prepares SQL, and reads ${given}, which masking protects, which it may be given: masking cannot follow where it puts it`;
  }
  return null;
}

/** The first word of a text that is a column a rule covers. */
const coveredWord = (masking: SessionMasking, text: string): string | undefined => text.match(/[A-Za-z_][\w$]*/g)?.find((w) => referenceCovered(masking, null, w) !== undefined);

/** Code that writes, sets a variable or prepares SQL (a word of a string counts: refused rather than read closely). */
const hasSideEffects = (body: string) => MAY_COPY.test(body) || MAY_BUILD_SQL.test(body);

/** What a body (a routine's, a trigger's) could copy: a covered column, table or view it names when it has side effects (`named`), or SQL it builds at run time. */
function bodyCopy(masking: SessionMasking, views: ViewCatalog, body: string): { named?: string } | null {
  const named = hasSideEffects(body) ? body.match(/[A-Za-z_][\w$]*/g)?.find((w) => referenceCovered(masking, null, w) !== undefined || isCoveredRelation(masking, views, w)) : undefined;
  if (named) return { named };
  return runsBuiltSql(body) ? {} : null;
}

/**
 * Why a write of these kinds to a table may copy through its triggers (see triggerCopy); `writes`:
 * how the text comes to write it (itself, through a routine, through another table's trigger: what
 * triggers write is followed TRIGGER_DEPTH levels down).
 */
function tableTriggerCopy(masking: SessionMasking, views: ViewCatalog, table: string, events: string[], writes = "writes", depth = 0): string | null {
  const code = views.triggerCode(table, events);
  if (code === null) return `it ${writes} ${table}, and the gateway cannot read its triggers (or a routine they call) to see where they put the values masking protects`;
  if (!code?.length) return null;
  const body = code.join("\n");
  const seesRows = events.includes("update") || events.includes("delete");
  if (seesRows && hasSideEffects(quotedParts(body).code) && isCoveredRelation(masking, views, table))
    return `it ${writes} ${table}, whose columns masking protects, and a trigger on it writes, sets a variable or prepares SQL: it sees the rows' values, and masking cannot follow what it does with them`;
  const copy = bodyCopy(masking, views, body);
  if (copy?.named)
    return `it ${writes} ${table}, and a trigger on it names ${copy.named}, which masking protects, and writes, sets a variable or prepares SQL: masking cannot follow what it does with the values`;
  if (copy) return `it ${writes} ${table}, and a trigger on it prepares SQL built at run time: masking cannot see what that SQL reads or where it puts the values`;
  return depth < TRIGGER_DEPTH ? writtenTablesCopy(masking, views, body, `${writes} ${table}, whose trigger writes`, depth + 1, table) : null;
}
const TRIGGER_DEPTH = 2;

/** Why a body may copy through the triggers of the tables it writes (core/sql/written-tables.ts); `writes`: how the text comes to run that body. */
function writtenTablesCopy(masking: SessionMasking, views: ViewCatalog, body: string, writes: string, depth = 0, self?: string): string | null {
  for (const { table, events } of writtenTables(body, "mysql")) {
    const reason = table === self ? null : tableTriggerCopy(masking, views, table, events, writes, depth);
    if (reason) return reason;
  }
  return null;
}

/**
 * Why a write may copy a column masking protects through the owner's triggers on the tables it
 * writes (ViewCatalog.triggerCode, for the kinds of write it does): on a covered table, a trigger
 * that writes, sets a variable or prepares SQL when the write changes rows that are there (UPDATE,
 * DELETE, REPLACE, an upsert: it sees OLD, and NEW's unchanged columns); on any table, one whose body
 * names a covered column, table or view and has such side effects, or builds SQL at run time; or
 * triggers that cannot be read. Every table a write statement names counts as written.
 */
function triggerCopy(masking: SessionMasking, views: ViewCatalog, text: string, serverVersion?: number): string | null {
  // A text the classifier cannot read is refused below when it names a covered column or table.
  for (const { events, tables } of mysqlWrites(text, serverVersion)) {
    if (!events.length) continue;
    for (const table of tables) {
      const reason = tableTriggerCopy(masking, views, table, events);
      if (reason) return reason;
    }
  }
  return null;
}

/**
 * A statement that would copy a column masking protects where masking does not follow it: into a
 * table column no rule covers (INSERT/REPLACE ... SELECT, CREATE TABLE ... SELECT, UPDATE ... SET), a
 * user variable (SELECT ... INTO @v, @v := ..., SET @v = ...), or out from under its rule by a
 * rename. Read back later, the values would come out plain: refused. Over-approximate as the
 * lineage is (a column matched by name through every relation of the statement); a text that
 * cannot be read is refused when it names a covered column.
 */
export function maskedCopyRefusal(masking: SessionMasking | null, text: string, views: ViewCatalog | null = null, serverVersion?: number): { refusal: MysqlError; kind: string } | null {
  if (!masking || !mayCopy(masking, text)) return null;
  const refuse = (reason: string, then = "") => ({
    kind: "MASKED COPY",
    refusal: new MysqlError(Err.TableAccessDenied, `Gatehouse refused this statement: ${reason}; read back later, the values would come out unmasked${then}`),
  });
  // A warning quotes the value it is about (`Truncated incorrect INTEGER value: '...'`): SHOW WARNINGS
  // comes back masked, but a message taken into a variable would be read back plain.
  if (takesDiagnosticsMessage(text)) return refuse("GET DIAGNOSTICS copies a condition's message, which can quote a value masking protects, into a variable (SHOW WARNINGS shows it masked)");
  if (runsBuiltSql(text))
    return refuse(
      "it prepares or runs SQL held in a variable or built by an expression, which the gateway cannot read to see where it puts the values masking protects (give PREPARE or EXECUTE IMMEDIATE a quoted text)",
    );
  const routine = views && (routineCopy(masking, views, text) ?? triggerCopy(masking, views, text, serverVersion));
  if (routine)
    return refuse(
      routine,
      ". That code is the database owner's: run what it does yourself (what you read is masked), or ask an administrator (members of an exempt group are not judged, and a masking rule that also covers where it writes lets it through)",
    );
  if (!MAY_COPY.test(text)) return null;
  const sinks = mysqlSinks(text);
  if (sinks === null) {
    const words = text.match(/[A-Za-z_][\w$]*/g) ?? [];
    const named = coveredWord(masking, text);
    if (named) return refuse(`it names ${named}, a column masking protects, and the gateway cannot read it to see where its values go`);
    // Whole rows of a covered table or view read where the grammar cannot follow them: `CREATE OR
    // REPLACE TABLE c SELECT * FROM users`, `INSERT INTO c TABLE users`, `... FOR SYSTEM_TIME AS OF (SELECT ...)`, a
    // procedure or event whose body copies them, a file (`SELECT * ... INTO OUTFILE ... FIELDS
    // TERMINATED BY ','`). DDL that only names the table (`ALTER TABLE users DISABLE KEYS`) reads no row.
    if (!READS_ROWS.test(text)) return null;
    const table = words.find((w) => isCoveredRelation(masking, views, w));
    if (table && /\binto\s+(outfile|dumpfile)\b/i.test(text))
      return refuse(`it writes a file on the server from ${table}, whose columns masking protects, and the gateway cannot read it to see which`);
    if (table) return refuse(`it reads ${table}, whose columns masking protects, and the gateway cannot read it to see where the values go`);
    const stored = words.find((w) => views?.isStoredFunction(w) === true);
    return stored ? refuse(`it calls ${stored}, a stored function whose body masking cannot see into, and the gateway cannot read it to see where the values go`) : null;
  }
  // What a stored function returns (its body reads tables the text does not name), copied anywhere: `insert into c select first_code()`.
  const stored = views && sinks.length ? views.storedFunctionAmong(mysqlLineage(text)?.functions ?? []) : undefined;
  if (stored) return refuse(`it copies what ${stored}() returns, and ${stored} is a stored function, whose body masking cannot see into`);
  for (const sink of sinks) {
    // A covered column read directly, or through a view (traced by its definition; an unreadable view counts as covered).
    const read =
      sink.reads.find((r) => referenceCovered(masking, r.table, r.column)) ?? (views && sink.kind !== "rename" ? sink.reads.find((r) => ruleThroughViews(masking, views, [r], [])) : undefined);
    if (!read) continue;
    const what = read.table ? `${read.table}.${read.column}` : read.column;
    if (sink.kind === "file") return refuse(`it copies ${what}, which masking protects, into a file on the server`);
    if (sink.kind === "variable")
      return refuse(`it copies ${what}, which masking protects, into the ${sink.dest?.startsWith("@@") ? "system" : "user"} variable ${sink.dest === "@" ? "it names" : sink.dest}`);
    if (sink.kind === "column" && !(sink.dest && referenceCovered(masking, sink.table, sink.dest)))
      return refuse(`it copies ${what}, which masking protects, into ${sink.table ?? "a table"}${sink.dest ? `.${sink.dest}` : ""}, which no masking rule covers`);
    if (sink.kind === "rename") {
      // The rules that cover the old name and would not match the new one.
      const newTable = (sink.table ?? read.table ?? "").split(".").at(-1)!.toLowerCase();
      const losing = masking.columns.filter((r) => (sink.dest ? !r.column.test(sink.dest.toLowerCase()) : !r.table.test(newTable)));
      if (referenceCovered({ ...masking, columns: losing }, read.table, read.column))
        return refuse(
          sink.exchange
            ? `it moves the rows of ${read.table}, whose columns masking protects, into ${sink.table}, which its rules do not cover (EXCHANGE PARTITION)`
            : `it renames ${what}, which masking protects, to a name its rule does not match`,
        );
    }
  }
  return null;
}
