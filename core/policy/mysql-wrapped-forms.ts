import { ANONYMOUS } from "./anonymous-code";
import { blankClassification, type Classification } from "./classify-statement";
import { unquoteMysql } from "../sql/mysql-lexer";

// Statements that run another statement they carry (classify-mysql.ts tries them before the grammar,
// which reads none of them): each is judged as the statement it runs, under its own kind.

type Judged = Classification | { error: string };
type Classify = (sql: string) => Judged;
/** The first statement of a text, judged (a PREPARE'd or EXECUTE IMMEDIATE'd string holds one). */
type ClassifyText = (text: string) => Judged;

const STRING = String.raw`'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"`;
const PREPARED = new RegExp(`^prepare\\s+\`?(\\w+)\`?\\s+from\\s+(${STRING})$`, "is");
const EXECUTE = /^execute\s+`?(\w+)`?(\s+using\s+[@\w\s,]+)?$/i;
const EXECUTE_IMMEDIATE = new RegExp(`^execute\\s+immediate\\s+(${STRING})(?:\\s+using\\s+([\\s\\S]+))?$`, "is");
/** PREPARE or EXECUTE IMMEDIATE of a variable or an expression: SQL built at run time. */
const BUILT_AT_RUN_TIME = /^(?:prepare\s+`?\w+`?\s+from|execute\s+immediate)\s+(?!['"])/i;
const BUILT_AT_RUN_TIME_ERROR =
  "it prepares or runs SQL held in a variable or built by an expression, which the gateway cannot read before the server runs it; give PREPARE or EXECUTE IMMEDIATE the statement as a quoted text";
const ANALYZED = /^(?:explain\s+)?analyze\s+(?:format\s*=\s*\w+\s+)?(?=(?:select|insert|update|delete|replace|with|values)\b|\()/i;
const REPLACED_TABLE = /^create\s+or\s+replace\s+(?=(?:temporary\s+)?table\b)/i;
const ALTERED_VIEW = /^alter\s+(?:algorithm\s*=\s*\w+\s+)?(?:definer\s*=\s*(?:\S+)\s+)?(?:sql\s+security\s+\w+\s+)?view\b/i;
const EXPLAINED_WRITE = /^(?:explain|describe|desc)\s+(?:(?:extended|partitions)\s+|format\s*=\s*\w+\s+)?(?=(?:insert|update|delete|replace)\b)/i;
/** MariaDB's `SET STATEMENT a = 1[, b = 2] FOR <statement>`: the settings hold for that one statement. */
const SET_STATEMENT = /^set\s+statement\s+/i;
/** MariaDB's compound statement outside a stored program (`BEGIN NOT ATOMIC ... END`): anonymous code, as Postgres' DO. */
export const COMPOUND = /^(?:[\w$]+\s*:\s*)?begin\s+not\s+atomic\b/i;

/** The classification of a statement that runs another, or null when `sql` is none of them. */
export function wrappedForm(sql: string, classify: Classify, classifyText: ClassifyText): Judged | null {
  const prepared = PREPARED.exec(sql);
  if (prepared) {
    // PREPARE runs nothing yet, but is judged as what EXECUTE will run (as on Postgres).
    const first = classifyText(unquoteMysql(prepared[2]));
    return "error" in first ? first : { ...first, kind: "PREPARE", runs: [first.kind, ...first.runs], prepares: prepared[1].toLowerCase() };
  }
  const execute = EXECUTE.exec(sql);
  if (execute) return { ...blankClassification("EXECUTE", []), executes: execute[1].toLowerCase() };
  // MariaDB's EXECUTE IMMEDIATE: a PREPARE and EXECUTE in one. Its USING values are expressions
  // (the server takes no subquery or stored function there): read as a SELECT's would be.
  const immediate = EXECUTE_IMMEDIATE.exec(sql);
  if (immediate) {
    const first = classifyText(unquoteMysql(immediate[1]));
    if ("error" in first) return first;
    const using = immediate[2] === undefined ? null : classify(`SELECT ${immediate[2]}`);
    if (using && "error" in using) return using;
    return {
      ...first,
      kind: "EXECUTE IMMEDIATE",
      runs: [first.kind, ...first.runs],
      functions: [...new Set([...first.functions, ...(using?.functions ?? [])])],
      tables: [...new Set([...first.tables, ...(using?.tables ?? [])])],
    };
  }
  if (BUILT_AT_RUN_TIME.test(sql)) return { error: BUILT_AT_RUN_TIME_ERROR };
  const settings = SET_STATEMENT.exec(sql) && setStatement(sql, classify);
  if (settings) return settings;
  // A compound statement's body is judged where classify-mysql.ts reads a stored program's.
  if (COMPOUND.test(sql)) return blankClassification("BEGIN NOT ATOMIC", ANONYMOUS);
  // MariaDB's ANALYZE <statement> and MySQL's EXPLAIN ANALYZE run the statement (and report its plan): judged as it.
  const analyzed = ANALYZED.exec(sql);
  if (analyzed) return classify(sql.slice(analyzed[0].length));
  // MariaDB's CREATE OR REPLACE TABLE drops the table it replaces: judged as the CREATE TABLE (the grammar reads that) and a DROP TABLE.
  const replacedTable = REPLACED_TABLE.exec(sql);
  if (replacedTable) {
    const inner = classify(`create ${sql.slice(replacedTable[0].length)}`);
    return "error" in inner ? inner : { ...inner, runs: [...new Set([...inner.runs, "DROP TABLE"])] };
  }
  // ALTER VIEW redefines a view as CREATE OR REPLACE VIEW does (the grammar reads only the latter): judged as it, named ALTER VIEW.
  const alteredView = ALTERED_VIEW.exec(sql);
  if (alteredView) {
    const inner = classify(`create or replace ${sql.slice(alteredView[0].length - "view".length)}`);
    return "error" in inner ? inner : { ...inner, kind: "ALTER VIEW", runs: inner.runs.filter((k) => k !== "ALTER VIEW") };
  }
  // EXPLAIN of a write shows its plan without running it: its tables and functions, as EXPLAIN SELECT.
  const explained = EXPLAINED_WRITE.exec(sql);
  if (explained) {
    const inner = classify(sql.slice(explained[0].length));
    return "error" in inner ? inner : { ...blankClassification("EXPLAIN", ["utility"]), tables: inner.tables, functions: inner.functions };
  }
  return null;
}

/**
 * `SET STATEMENT settings FOR statement`: judged as the statement it runs (its kind, so a rule on
 * DELETE meets `SET STATEMENT max_statement_time = 5 FOR DELETE ...`), with the settings' names and
 * the SET among what it runs. The server reads the whole text before the settings take effect, so
 * the statement is read in the session's own sql_mode, as the gateway reads it. The settings end at
 * the first FOR outside parentheses (quoted parts are blank in a statement's shape, and a FOR in a
 * quoted name makes the split fail to read: refused). Null when no FOR is there (unreadable).
 */
function setStatement(sql: string, classify: Classify): Judged | null {
  let depth = 0;
  for (const m of sql.matchAll(/[()]|\bfor\b/gi)) {
    if (m[0] === "(") depth++;
    else if (m[0] === ")") depth--;
    else if (depth === 0) {
      const settings = classify(`SET ${sql.slice(SET_STATEMENT.exec(sql)![0].length, m.index)}`);
      const inner = classify(sql.slice(m.index + m[0].length).trim());
      if ("error" in settings) return settings;
      if ("error" in inner) return inner;
      if (inner.sessionSettings.includes("database")) return { error: "SET STATEMENT ... FOR USE is not judged; send the USE on its own" };
      return {
        ...inner,
        runs: [...new Set([...inner.runs, "SET"])],
        classes: [...new Set([...inner.classes, ...settings.classes])],
        functions: [...new Set([...inner.functions, ...settings.functions])],
        tables: [...new Set([...inner.tables, ...settings.tables])],
        sessionSettings: [...new Set([...inner.sessionSettings, ...settings.sessionSettings])],
      };
    }
  }
  return null;
}
