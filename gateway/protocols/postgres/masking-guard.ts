import { serialize } from "pg-protocol";
import type { SessionMasking } from "../../../core/masking/compile-rules";
import { copiesIntoMaskedColumn, maskedLiteral, uncoveredWrites, writesIntoMaskedColumns, type MaskedWrite } from "../../../core/masking/masked-writes";
import { copiesMaskedColumns, type MaskedCopy } from "../../../core/masking/masked-copies";
import { looksMasked } from "../../../core/masking/masked-shape";
import type { StatementTracker } from "./statement-tracker";
import type { StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { Frontend, SqlState } from "./message-codes";
import { readParse } from "./frontend-messages";
import { refusedParse, refusedQuery } from "./stand-in-messages";
import { PgError } from "./pg-error";
import { REFUSED_FUNCTION_CALL, type FrontendGuard, type GuardHold, type GuardRefusal, type Refusal } from "./guard-types";
import { viewWrites } from "./view-writes";
import { calledCode, opaqueRoutine, tableCode, viewReadTrace, type GuardCatalog } from "./copy-catalog";
import { statementInfo } from "./result-columns";
import { StagedValues } from "./staged-writes";

// A Bind of a statement that does not exist: the target refuses it, runs nothing, and its error
// (swapped for ours by the tracker) keeps its place in the response stream.
const refusedBind = (portal: string) => serialize.bind({ portal, statement: "gatehouse_refused_write", values: [] });

// Catalog reads a message may wait for: its own names, then those that what they read names (a
// routine's body, the tables it writes, what their triggers write), each once a minute at most.
const CATALOG_ROUNDS = 3;
/** The names a message waits for the catalog to read. */
type Wanted = { views?: string[]; routines?: string[]; tables?: string[] };
const MAY_COPY =
  /\b(insert|update|delete|merge|create|into|set_config|pg_notify|alter|do|rule|trigger|copy|lo_from_bytea|lo_put|lowrite|setval|pg_logical_emit_message|dblink\w*|pg_file_write|execute|deallocate)\b/i;
// A function or procedure called (`f(`, `call p`): the target's own routines run code the statement does not show.
const CALLS = /[\w$"]\s*\(|\bcall\b/i;

/**
 * What a masked session may not send. Fast-path function calls (results the gateway cannot tie to
 * any column) and binary COPY TO (rows it cannot re-encode) are refused with 0A000 as soon as the
 * session has any masking. And writes that would store a masked value (the redaction marker, a token, a partial mask)
 * into a column a rule masks: what an agent was shown is a placeholder, and writing it back would
 * corrupt the data. Literals are judged at Query/Parse, bound parameters at Bind. SQLSTATE 42501
 * (insufficient_privilege), like every other Gatehouse refusal: the statement is fine SQL, the
 * gateway will not let this session run it, and no change of value format makes it pass.
 */
export function maskingGuard(masking: () => SessionMasking | null, analyzer: StatementAnalyzer, tracker: Pick<StatementTracker, "whenDone">, views?: GuardCatalog): FrontendGuard {
  const paramsOf = new Map<string, MaskedWrite[]>(); // prepared statement name -> its writes that take parameters
  const staged = new StagedValues();
  // A Bind is judged against the Parse before it (if that Parse fails, the server skips the Bind too);
  // a Parse that fails (its name in use) leaves the server's statement as it was, and so its writes here.
  const reparse = (name: string, writes: MaskedWrite[]) => {
    const before = paramsOf.get(name);
    if (writes.length) paramsOf.set(name, writes);
    else paramsOf.delete(name);
    if (before)
      tracker.whenDone(
        () => {},
        () => paramsOf.set(name, before),
      );
  };
  // The message waits for one catalog read of these names (views; functions), then is judged again:
  // what was read may name more (the views a called routine's body names), read in one more round.
  const holdForCatalog = (catalog: GuardCatalog, wanted: Wanted, type: number, text: string, buf: Buffer, start: number, end: number, round: number): GuardHold => {
    const message = Buffer.from(buf.subarray(start, end));
    const again = (tellClient: (msg: Buffer) => void) => {
      const verdict = judge(type, text, message, 0, message.length, round + 1);
      return verdict && "hold" in verdict ? verdict.hold.start(tellClient) : verdict;
    };
    const { views: names = [], routines = [], tables = [] } = wanted;
    const load = () =>
      Promise.all([names.length ? catalog.loadViewNames(names) : null, routines.length ? catalog.loadRoutineNames(routines) : null, tables.length ? catalog.loadTableHooks(tables) : null]);
    return {
      hold: {
        start: (tellClient) =>
          load().then(
            () => again(tellClient),
            () => again(tellClient),
          ),
        cancel: () => {},
        withdraw: () => {},
      },
    };
  };
  // `round`: how many catalog reads the message has waited for. After the last one (CATALOG_ROUNDS) a
  // name still unknown counts as a view over a masked column, or an opaque function (fail closed).
  const judge = (type: number, text: string, buf: Buffer, start: number, end: number, round: number): GuardRefusal | GuardHold | null => {
    const viewsLoaded = round >= CATALOG_ROUNDS;
    const m = masking();
    if (!m) return null;
    if (type === Frontend.FunctionCall) return { refusal: unsupported("FUNCTION CALL", "fast-path function calls"), replacement: REFUSED_FUNCTION_CALL };
    if ((type === Frontend.Query || type === Frontend.Parse) && /\bcopy\b/i.test(text) && /\bbinary\b/i.test(text) && copiesBinaryOut(analyzer, text)) {
      return { refusal: unsupported("COPY", "binary COPY TO (use the text or CSV format)"), replacement: type === Frontend.Query ? refusedQuery() : refusedParse(buf, start, end) };
    }
    if (m.columns.length === 0) return null;
    if (type === Frontend.Bind) return judgeBind(paramsOf, staged, buf, start, end);
    if (type !== Frontend.Query && type !== Frontend.Parse) return null;
    // Cheap first look: only texts that write (or keep a value in a setting or a notification) or call a routine (whose code may) can write back or copy out.
    if (!MAY_COPY.test(text) && !CALLS.test(text)) {
      if (type === Frontend.Parse) reparse(readParse(buf, start, end).name, []);
      return null;
    }
    const a = analyzer.analyze(text);
    if (!a.ok) return null; // the policy guard (or the target) refuses what does not parse
    // Copies out, through a view over a masked column or a function masking cannot see into too (names not looked up yet: one catalog read, then judged again).
    const unknownViews = new Set<string>();
    const unknownRoutines = new Set<string>();
    const unknownTables = new Set<string>();
    const copy = a.statements
      .map((s, i) =>
        copiesMaskedColumns(
          s.tree,
          m,
          views && {
            throughView: viewReadTrace(views, m, statementInfo(analyzer, text, i).relations, viewsLoaded, unknownViews),
            opaqueCall: opaqueRoutine(views, viewsLoaded, unknownRoutines),
            calledCode: calledCode(views, viewsLoaded, unknownRoutines),
            ...tableCode(views, viewsLoaded, unknownTables, unknownRoutines),
          },
        ),
      )
      .find((c) => c !== null);
    if (copy) return { refusal: copyRefusal(copy), replacement: type === Frontend.Query ? refusedQuery() : refusedParse(buf, start, end) };
    if (views && (unknownViews.size || unknownRoutines.size || unknownTables.size))
      return holdForCatalog(views, { views: [...unknownViews], routines: [...unknownRoutines], tables: [...unknownTables] }, type, text, buf, start, end, round);
    const loaded = a.statements.map((s) => copiesIntoMaskedColumn(s.tree, m)).find((c) => c !== null);
    if (loaded) return { refusal: copyInRefusal(loaded), replacement: type === Frontend.Query ? refusedQuery() : refusedParse(buf, start, end) };
    // Each statement read once: its writes into masked columns, and into tables no rule names (views, staging tables).
    const maskedWrites = a.statements.map((s) => writesIntoMaskedColumns(s.tree, m));
    const uncovered = a.statements.map((s) => uncoveredWrites(s.tree, m));
    const viewed = views ? viewWrites(uncovered, m, views, { parse: type === Frontend.Parse, loaded: viewsLoaded }) : null;
    // Written through relations whose views are not known yet: likewise.
    if (views && viewed?.unknown.length) return holdForCatalog(views, { views: viewed.unknown }, type, text, buf, start, end, round);
    const writes = [...maskedWrites.flat(), ...(viewed?.writes ?? [])];
    const copied = staged.copiedFrom(a.statements, maskedWrites);
    const hit =
      maskedLiteral(writes) ??
      (type === Frontend.Query ? sqlPrepared(paramsOf, a.statements, m) : undefined) ??
      (copied && { column: `${copied.column} (from ${copied.from}, which this session gave masked values)` });
    const parseName = type === Frontend.Parse ? readParse(buf, start, end).name : null;
    if (!hit) staged.note(uncovered, parseName);
    if (parseName !== null) {
      const withParams = writes.filter((w) => w.params.length > 0);
      reparse(parseName, withParams);
      if (hit) return { refusal: refusal(hit.column), replacement: refusedParse(buf, start, end) };
      return null;
    }
    return hit ? { refusal: refusal(hit.column), replacement: refusedQuery() } : null;
  };
  return (type, text, buf, start, end) => judge(type, text, buf, start, end, 0);
}

/**
 * SQL-level PREPARE, EXECUTE and DEALLOCATE in a Query (one namespace with the protocol's named
 * statements): a PREPARE's writes that take parameters are kept by its name (a failed one may leave
 * them: that over-refuses only), and an EXECUTE's literal arguments are judged against them, as a
 * Bind's values are. The first masked value an EXECUTE would write, or undefined.
 */
function sqlPrepared(paramsOf: Map<string, MaskedWrite[]>, statements: Array<{ tree: Record<string, unknown> }>, m: SessionMasking): { column: string; value: string } | undefined {
  for (const { tree } of statements) {
    const prepare = tree.PrepareStmt as { name?: string } | undefined;
    if (prepare?.name) {
      const withParams = writesIntoMaskedColumns(tree, m).filter((w) => w.params.length > 0);
      if (withParams.length) paramsOf.set(prepare.name, withParams);
    }
    const deallocate = tree.DeallocateStmt as { name?: string; isall?: boolean } | undefined;
    if (deallocate?.isall) paramsOf.clear();
    else if (deallocate?.name) paramsOf.delete(deallocate.name);
    const execute = tree.ExecuteStmt as { name?: string; params?: Array<{ A_Const?: { sval?: { sval?: string } } }> } | undefined;
    const writes = execute?.name ? paramsOf.get(execute.name) : undefined;
    for (const w of writes ?? []) {
      for (const p of w.params) {
        const v = execute?.params?.[p - 1]?.A_Const?.sval?.sval;
        if (v !== undefined && looksMasked(v)) return { column: w.column, value: v };
      }
    }
  }
  return undefined;
}

function judgeBind(paramsOf: Map<string, MaskedWrite[]>, staged: StagedValues, buf: Buffer, start: number, end: number): GuardRefusal | null {
  const portalEnd = buf.indexOf(0, start + 5);
  const stmtEnd = buf.indexOf(0, portalEnd + 1);
  const statement = buf.toString("utf8", portalEnd + 1, stmtEnd);
  const writes = paramsOf.get(statement);
  const marks = staged.reads(statement);
  if (!writes && !marks) return null;
  const values = bindValues(buf, stmtEnd + 1, end);
  if (marks) staged.bound(statement, values);
  for (const w of writes ?? []) {
    for (const p of w.params) {
      const v = values[p - 1];
      if (v && looksMasked(v)) return { refusal: refusal(w.column), replacement: refusedBind(buf.toString("utf8", start + 5, portalEnd)) };
    }
  }
  return null;
}

/** The parameter values of a Bind, as text (a text-like value's binary form is its text too). */
function bindValues(buf: Buffer, at: number, end: number): Array<string | null> {
  const nFormats = buf.readInt16BE(at);
  at += 2 + nFormats * 2;
  const n = buf.readInt16BE(at);
  at += 2;
  const out: Array<string | null> = [];
  for (let i = 0; i < n && at + 4 <= end; i++) {
    const len = buf.readInt32BE(at);
    out.push(len < 0 ? null : buf.toString("utf8", at + 4, at + 4 + len));
    at += 4 + Math.max(len, 0);
  }
  return out;
}

function copiesBinaryOut(analyzer: StatementAnalyzer, text: string): boolean {
  const a = analyzer.analyze(text);
  if (!a.ok) return false;
  return a.statements.some((s) => {
    const copy = s.tree.CopyStmt as { is_from?: boolean; options?: Array<{ DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }> } | undefined;
    return !!copy && !copy.is_from && !!copy.options?.some((o) => o.DefElem?.defname === "format" && o.DefElem.arg?.String?.sval === "binary");
  });
}

function unsupported(kind: string, what: string): Refusal {
  return { kind, error: new PgError("ERROR", SqlState.FeatureNotSupported, `Gatehouse refuses ${what} on this connection: its results are masked, and these cannot be`) };
}

function refusal(column: string): Refusal {
  return denied(
    "MASKED WRITE",
    `Gatehouse refused this write: it would store a masked value into ${column}, a column masking protects`,
    "Values such as [REDACTED], tok_... or ****1234 are what the gateway showed in place of the data; writing them back would overwrite the real values.",
    "Write the real value, or leave the column out of the statement.",
  );
}

function copyInRefusal(column: string): Refusal {
  return denied(
    "MASKED WRITE",
    `Gatehouse refused this COPY: it loads rows into ${column}, a column masking protects, and the gateway does not read COPY rows for masked values`,
    "Values such as [REDACTED], tok_... or ****1234 are what the gateway showed in place of the data; loaded back, they would stand as real values.",
    "Use INSERT (its values are checked), or leave the masked columns out of the COPY column list.",
  );
}

function copyRefusal(copy: MaskedCopy): Refusal {
  return denied(
    "MASKED COPY",
    `Gatehouse refused this statement: ${copy.reason}`,
    "Read back later, the values would come out unmasked.",
    copy.ownerCode
      ? "That code is the database owner's. Run what it does yourself (what you read is masked), or ask an administrator: members of an exempt group are not judged, and a masking rule that also covers where it writes lets it through."
      : "Select the column itself (it is masked in the result); a copy into a column a masking rule covers is allowed.",
  );
}

/** A refusal of what masking protects: 42501, as every other Gatehouse refusal. */
function denied(kind: string, message: string, detail: string, hint: string): Refusal {
  return { kind, error: new PgError("ERROR", SqlState.InsufficientPrivilege, message, detail, hint) };
}
