import { isJsonText } from "../../../core/masking/json-masker";
import { SERVER_CODE_WITHHELD as WITHHELD } from "../../../core/masking/mask-text";
import { columnRuleFor, referenceCovered, type CompiledColumnRule, type SessionMasking } from "../../../core/masking/compile-rules";
import { mayReturnRows, mysqlLineage, tableFunctionAliases, type MysqlLineage } from "../../../core/sql/mysql-columns";
import { ValueMasker } from "../../../core/masking/value-masker";
import { mysqlWrites } from "../../../core/sql/mysql-writes";
import { Cursor, lenencBytes, skipBinaryValue } from "./packet-codec";
import { STRING_TYPES } from "./protocol-constants";
import { errPacket, parseErr } from "./handshake-messages";
import { ruleThroughViews, UNRESOLVED } from "./view-rules";
import type { ViewCatalog } from "./view-catalog";
import { JSON_TYPE, type ColumnDef } from "./column-definition";

/** How one column of a result is masked: a column rule (whole value), the detectors, or not at all. */
type ColumnPlan = { rule: CompiledColumnRule | undefined; scan: boolean; type: number; quoted?: boolean };

/** `SHOW WARNINGS` or `SHOW ERRORS` as a text of its own. */
const WARNINGS_LISTING = /^\s*show\s+(?:warnings|errors)(?:\s+limit\s+\d+(?:\s*,\s*\d+)?)?\s*;?\s*$/i;

/**
 * Masks the rows of one result set as they stream, using the column definitions that precede them:
 * a column whose source (schema, original table and column, as the server reports them) a column
 * rule covers is masked whole; every text value goes through the detectors. Text rows (COM_QUERY)
 * and binary rows (prepared statements) alike; a masked binary value of a numeric or temporal type
 * becomes NULL (no masked text fits its fixed layout), and integers are read by the detectors in
 * their decimal form. Computed columns (no original table) get the
 * rule of any covered column the query text reads (lineage by name, over-masking rather than
 * under): `CONCAT(email)`, `JSON_OBJECT(...)`, `GROUP_CONCAT`, the columns of a UNION. A column
 * that names a view, an alias of one or a derived table (MariaDB reports no base table for them)
 * is traced through the parsed query to the relation it reads and, for a view, through the view's
 * definition (the connection's ViewCatalog, loaded before the statement was forwarded: `viewsReady`).
 */
export class RowMasker {
  private readonly plans: ColumnPlan[] = [];
  readonly masker: ValueMasker;

  constructor(
    private readonly masking: SessionMasking,
    key: Buffer,
    /** The connection's views (null: not traced, e.g. in unit tests). */
    private readonly views: ViewCatalog | null = null,
  ) {
    this.masker = new ValueMasker(masking, key);
  }

  private lineage: Lineage = NO_LINEAGE;
  /** The current text is SHOW WARNINGS (or ERRORS) and there are column rules. */
  private warningsListing = false;
  /** Whether the statement before this one ran server-side code (its warnings then say what that code chose to), and this one. */
  private warningsOfCode = false;
  private ranCode = false;

  /**
   * Reads the views the statement `text` may read, before it is forwarded, so that its rows are
   * masked without waiting: the relations it names, or every view when the text does not say
   * (a CALL, an EXECUTE, a text node-sql-parser cannot read); and the target's stored functions
   * (ViewCatalog.ensureFor). Undefined when there is nothing to wait for: no column rules, a text
   * that returns no rows (a write is not parsed for this), or all known (a repeated statement).
   * Never rejects.
   */
  viewsReady(text: string | null): Promise<void> | undefined {
    if (!this.views || this.masking.columns.length === 0 || text === null) return undefined;
    // A write: whether its tables have triggers (what their SIGNAL says is withheld, see runsServerCode).
    if (!mayReturnRows(text)) return mysqlWrites(text).length ? this.views.ensureFunctions() : undefined;
    return this.views.ensureFor(mysqlLineage(text));
  }

  /**
   * An ERR packet masked: values the detectors find in its message (a duplicate key...), and, when
   * the statement `text` reads a column a rule covers (or cannot be read), every quoted value in it:
   * an error can quote what the statement computed from the column (`XPATH syntax error: '...'` from
   * EXTRACTVALUE, a conversion error), which no rule can recognise. Null when nothing in it changes.
   */
  maskedError(payload: Buffer, text: string | null): Buffer | null {
    const e = parseErr(payload);
    let message = this.masker.scanText(e.message) ?? e.message;
    if (this.masking.columns.length > 0 && runsServerCode(e.state, text, this.views)) {
      this.masker.count("withheld-message");
      message = WITHHELD;
    } else if (this.masking.columns.length > 0 && readsCovered(this.masking, text, this.views)) message = redactQuoted(message);
    return message === e.message ? null : errPacket({ code: e.code, state: e.state }, message);
  }

  /**
   * A statement is about to run (COM_QUERY, COM_STMT_EXECUTE; `text` null when not known): SHOW
   * WARNINGS right after a CALL or a stored function lists what their SIGNAL said, withheld whole.
   */
  runs(text: string | null): void {
    this.warningsOfCode = this.ranCode;
    this.ranCode = this.masking.columns.length > 0 && runsServerCode("", text, this.views);
  }

  /** A new result of the query `text` (null: its text is not known, e.g. a prepared statement from before). */
  reset(text?: string | null): void {
    this.plans.length = 0;
    if (text === undefined) return;
    this.lineage = this.masking.columns.length ? lineageOf(this.masking, text, this.views) : NO_LINEAGE;
    this.warningsListing = this.masking.columns.length > 0 && text !== null && WARNINGS_LISTING.test(text);
  }

  /** The columns of the current result, kept for a cursor's later fetches (COM_STMT_FETCH rows come without column definitions). */
  layout(): ColumnLayout {
    return { masking: this.masking, plans: [...this.plans], lineage: this.lineage };
  }

  /** Takes back a cursor's columns before its rows are fetched; false when the rules (`current`) changed since (the layout no longer applies). */
  restore(l: ColumnLayout, current: SessionMasking): boolean {
    if (l.masking !== current || this.masking !== current) return false;
    this.plans.length = 0;
    this.plans.push(...l.plans);
    this.lineage = l.lineage;
    return true;
  }

  addColumn(def: ColumnDef): void {
    const scan = this.masking.detectors.length > 0;
    // SHOW WARNINGS: Level and Code are the server's own words; a Message may quote the value it is
    // about (`Truncated incorrect INTEGER value: '...'`), so its quoted parts are masked, as in an error.
    // (Read as computed columns of an unreadable text, the whole rows were masked, Code as NULL.)
    if (this.warningsListing && !def.orgTable) {
      const name = def.name.toLowerCase();
      if (name === "level" || name === "code") return void this.plans.push({ rule: undefined, scan, type: def.type });
      if (name === "message") return void this.plans.push({ rule: undefined, scan, type: def.type, quoted: true });
    }
    this.plans.push({ rule: this.ruleOf(def), scan, type: def.type });
  }

  private ruleOf(def: ColumnDef): CompiledColumnRule | undefined {
    if (!def.orgTable || !def.orgName) return this.lineage.computed;
    // A JSON_TABLE's columns are computed from its arguments, though the server names a table for
    // them (MariaDB: "json_table" in schema "*any*"; by its alias in the text otherwise).
    const orgTable = def.orgTable.toLowerCase();
    if (orgTable === "json_table" || this.lineage.tableFunctions.has(orgTable)) return this.lineage.computed;
    if (sampledValues(def)) return UNRESOLVED;
    const m = this.masking;
    const direct = columnRuleFor(m, { schema: def.schema || null, table: def.orgTable, column: def.orgName });
    if (direct || m.columns.length === 0) return direct;
    const l = this.lineage;
    // After DDL in the same text, a name may denote what the catalog, read before, did not know.
    if (l.text?.ddl) return UNRESOLVED;
    // A view (MariaDB names the view, or the alias it is read under), a derived table or a CTE: what
    // its column reads. The name the query reads it under too: a cursor's columns (materialised)
    // name the base table with the view's column name.
    for (const relation of def.table && def.table !== def.orgTable ? [def.orgTable, def.table] : [def.orgTable]) {
      const qualified = def.schema ? `${def.schema}.${relation}` : relation;
      const reads = l.text?.through(relation, def.orgName)?.map((r) => (r.table?.toLowerCase() === relation.toLowerCase() ? { ...r, table: qualified } : r));
      const hit = reads ? ruleThroughViews(m, this.views, reads, l.text!.relations) : this.unnamedRelation(qualified, def.orgName);
      if (hit) return hit;
    }
    // Otherwise a column read under an alias: covered when the query reads a covered column of that name.
    return l.byName.find((r) => r.column.test(def.orgName.toLowerCase()));
  }

  /**
   * A column of a relation the text does not name (a procedure's result, an EXECUTE's, a text the
   * grammar cannot read, whose views were all read first): traced if the catalog knows a view of
   * that name; masked when the catalog could not be read and the text does not say (fail closed).
   */
  private unnamedRelation(relation: string, column: string): CompiledColumnRule | undefined {
    const views = this.views?.viewsNamed(relation);
    if (views === undefined) return this.views && this.lineage.opaque ? UNRESOLVED : undefined;
    if (views === null) return UNRESOLVED;
    return views.length ? ruleThroughViews(this.masking, this.views, [{ table: relation, column }], []) : undefined;
  }

  /** A text row with its values masked; null when nothing changed. */
  textRow(payload: Buffer): Buffer | null {
    const c = new Cursor(payload);
    let out: Buffer[] | null = null;
    let copied = 0;
    for (let i = 0; i < this.plans.length && c.left > 0; i++) {
      const at = c.pos;
      const value = c.lenencBytes();
      if (value === null) continue;
      const plan = this.plans[i];
      const replaced = this.maskValue(plan, payload, c.pos - value.length, c.pos);
      if (replaced === null) continue;
      out ??= [];
      out.push(payload.subarray(copied, at), MARKER_TYPES.has(plan.type) ? lenencBytes(asTyped(plan.type, replaced)) : NULL_VALUE);
      copied = c.pos;
    }
    if (!out) return null;
    out.push(payload.subarray(copied));
    return Buffer.concat(out);
  }

  /** A binary row (0x00, NULL bitmap from bit 2, values) with its values masked; null when nothing changed. */
  binaryRow(payload: Buffer): Buffer | null {
    const n = this.plans.length;
    const bitmapLen = Math.floor((n + 7 + 2) / 8);
    const bitmap = Buffer.from(payload.subarray(1, 1 + bitmapLen));
    const c = new Cursor(payload, 1 + bitmapLen);
    const parts: Buffer[] = [];
    let changed = false;
    for (let i = 0; i < n; i++) {
      const bit = i + 2;
      if (bitmap[bit >> 3] & (1 << (bit & 7))) continue;
      const plan = this.plans[i];
      const start = c.pos;
      const valueStart = skipBinaryValue(c, plan.type);
      if (valueStart === null) {
        // An unknown type: its size cannot be told, so nothing after it can be read; left as it is.
        parts.push(payload.subarray(start));
        c.pos = payload.length;
        break;
      }
      const end = c.pos;
      if (STRING_TYPES.has(plan.type)) {
        const replaced = this.maskValue(plan, payload, valueStart, end);
        if (replaced !== null && MARKER_TYPES.has(plan.type)) {
          parts.push(lenencBytes(asTyped(plan.type, replaced)));
          changed = true;
          continue;
        }
        if (replaced !== null) {
          // A DECIMAL or a BIT: no masked text is one.
          bitmap[bit >> 3] |= 1 << (bit & 7);
          changed = true;
          continue;
        }
      } else if (plan.rule || (plan.scan && detectedNumber(this.masker, plan.type, payload, start))) {
        // No masked text fits a fixed-size value: it becomes NULL (a detected number is counted by the detector).
        if (plan.rule) this.masker.whole("", plan.rule.rule.style, plan.rule.rule.column);
        bitmap[bit >> 3] |= 1 << (bit & 7);
        changed = true;
        continue;
      }
      parts.push(payload.subarray(start, end));
    }
    if (!changed) return null;
    return Buffer.concat([payload.subarray(0, 1), bitmap, ...parts, payload.subarray(c.pos)]);
  }

  private maskValue(plan: ColumnPlan, buf: Buffer, start: number, end: number): Buffer | null {
    if (plan.rule) {
      const masked = this.masker.wholeBytes(buf, start, end, plan.rule.rule.style, plan.rule.rule.column);
      return typeof masked === "string" ? Buffer.from(masked, "utf8") : masked;
    }
    if (plan.quoted) {
      if (this.warningsOfCode) {
        this.masker.count("withheld-message");
        return WITHHELD_BYTES;
      }
      const text = buf.toString("utf8", start, end);
      const masked = redactQuoted(this.masker.scanText(text) ?? text);
      return masked === text ? null : Buffer.from(masked, "utf8");
    }
    if (!plan.scan) return null;
    const scanned = this.masker.scanBytes(buf, start, end);
    return scanned === null ? null : Buffer.from(scanned, "utf8");
  }
}

/**
 * Column types a masked text can stand in (strings, blobs, ENUM, SET; JSON as a JSON string). In any
 * other (numbers, DECIMAL, BIT, dates and times) a masked value is sent as NULL, in the text
 * protocol as in the binary one: a driver parses such a column's text as its type, and
 * `[REDACTED]` read as an integer is a wrong number (mysql2) or an error (PyMySQL, JDBC).
 */
const MARKER_TYPES = new Set([0x0f, 0xf5, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe]);
const NULL_VALUE = Buffer.from([0xfb]);
const asTyped = (type: number, masked: Buffer): Buffer => {
  if (type !== JSON_TYPE) return masked;
  const text = masked.toString("utf8");
  return isJsonText(text) ? masked : Buffer.from(JSON.stringify(text));
};

/** `text`: the parsed query (null: unknown or unreadable); `opaque`: its results may come from relations it does not name. */
/**
 * A server message with its quoted values redacted. The server quotes a value in single quotes
 * without escaping the ones it holds (`Duplicate entry 'O'Brien' for key 'name'`): paired one by
 * one, `Brien` went out plain. So the quoted pieces are redacted one by one only when every text
 * between two of them is one of the server's joining phrases (`' for key '`); otherwise everything
 * from the first quote to the last is one value. The apostrophe of a contraction in the message's
 * own words (`Can't update table 't6'`) is no quote.
 */
function redactQuoted(message: string): string {
  const quotes: number[] = [];
  for (const q of message.matchAll(QUOTE)) if (q[0] === "'") quotes.push(q.index);
  if (quotes.length === 0) return message;
  let paired = quotes.length % 2 === 0;
  for (let i = 1; paired && i + 1 < quotes.length; i += 2) paired = JOINING.has(message.slice(quotes[i] + 1, quotes[i + 1]).toLowerCase());
  if (!paired) {
    // One quote alone: what follows it may be all value.
    const last = quotes.length > 1 ? quotes[quotes.length - 1] : message.length;
    return `${message.slice(0, quotes[0])}'[REDACTED]'${message.slice(last + 1)}`;
  }
  let out = message.slice(0, quotes[0]);
  for (let i = 0; i < quotes.length; i += 2) out += `'[REDACTED]'${message.slice(quotes[i + 1] + 1, quotes[i + 2] ?? message.length)}`;
  return out;
}
const QUOTE = /\b(?:can|don|doesn|isn|aren|wasn|weren|won|couldn|didn|hasn|haven|shouldn|wouldn|mustn|needn)'t\b|'/gi;
/** What the server's messages put between two quoted pieces (`Duplicate entry 'x' for key 'k'`, `Unknown column 'c' in 'field list'`). */
const JOINING = new Set([" for key ", " in ", " for column ", " for ", " and ", " to ", " on ", " at "]);

const WITHHELD_BYTES = Buffer.from(WITHHELD);

/**
 * Whether an error may carry what a procedure, a stored function or a trigger chose to say: SQLSTATE
 * 45000 (raised only by SIGNAL) after any statement, and any error of a CALL, of a text that calls a
 * stored function, or of a write to a table with triggers (their SIGNAL may set any state and number).
 */
function runsServerCode(state: string, text: string | null, views: ViewCatalog | null): boolean {
  if (state === "45000") return true;
  const l = text === null ? null : mysqlLineage(text);
  if (l !== null && (l.calls || (views !== null && views.storedFunctionAmong(l.functions) !== undefined))) return true;
  return text !== null && views !== null && mysqlWrites(text).some((w) => w.tables.some((t) => views.hasTriggers(t) !== false));
}

/** Whether a statement reads a column a rule covers, directly or through a view (true when its text is unknown or cannot be read). */
function readsCovered(m: SessionMasking, text: string | null, views: ViewCatalog | null): boolean {
  const l = text === null ? null : mysqlLineage(text);
  return !l || l.calls || l.refs.some((r) => referenceCovered(m, r.table, r.column)) || ruleThroughViews(m, views, l.refs, l.relations) !== undefined;
}

type Lineage = { computed: CompiledColumnRule | undefined; byName: CompiledColumnRule[]; text: MysqlLineage | null; opaque: boolean; tableFunctions: Set<string> };
const NO_LINEAGE: Lineage = { computed: undefined, byName: [], text: null, opaque: false, tableFunctions: new Set() };

/**
 * Statistics that keep values of other tables' columns: MariaDB's mysql.column_stats (min_value,
 * max_value, histogram after ANALYZE TABLE ... PERSISTENT), MySQL's information_schema.COLUMN_STATISTICS
 * (histogram). Masked whenever the session has column rules.
 */
const sampledValues = (def: ColumnDef) =>
  (def.schema.toLowerCase() === "mysql" && def.orgTable.toLowerCase() === "column_stats" && /^(min_value|max_value|histogram)$/i.test(def.orgName)) ||
  (def.schema.toLowerCase() === "information_schema" && def.orgTable.toLowerCase() === "column_statistics" && /^histogram$/i.test(def.orgName));

/** How the rows of one result set are masked, under the rules it was planned with. */
export type ColumnLayout = { masking: SessionMasking; plans: ColumnPlan[]; lineage: Lineage };

/**
 * What the query text says of covered columns: the rule a computed column must be masked with (the
 * first covered column it reads, directly or through a view; every rule's when the text cannot be
 * read), and the rules of the covered columns it reads, for result columns that name an alias
 * instead of a table.
 */
function lineageOf(m: SessionMasking, text: string | null, views: ViewCatalog | null): Lineage {
  const l = text === null ? null : mysqlLineage(text);
  const tableFunctions = text === null ? NO_LINEAGE.tableFunctions : tableFunctionAliases(text);
  if (!l) return { computed: m.columns[0], byName: m.columns, text: null, opaque: true, tableFunctions };
  const byName: CompiledColumnRule[] = [];
  for (const r of l.refs) {
    const rule = referenceCovered(m, r.table, r.column);
    if (rule && !byName.includes(rule)) byName.push(rule);
  }
  // A stored function's body reads tables the text does not name (`select first_code()`): what the text computes is masked.
  const stored = views !== null && views.storedFunctionAmong(l.functions) !== undefined;
  return { computed: stored ? m.columns[0] : (byName[0] ?? ruleThroughViews(m, views, l.refs, l.relations)), byName, text: l, opaque: l.calls || stored, tableFunctions };
}

/** Whether the detectors match a binary integer's decimal form (a card number in a BIGINT). */
function detectedNumber(masker: ValueMasker, type: number, buf: Buffer, at: number): boolean {
  let text: string;
  if (type === 0x08) text = buf.readBigInt64LE(at).toString();
  else if (type === 0x03 || type === 0x09) text = String(buf.readInt32LE(at));
  else return false;
  return masker.scanText(text) !== null;
}
