import { columnRuleFor, referenceCovered, type CompiledColumnRule, type SessionMasking } from "../../../core/masking/compile-rules";
import { referencedColumns } from "../../../core/sql/mysql-columns";
import { ValueMasker } from "../../../core/masking/value-masker";
import { Cursor, lenencBytes } from "./packet-codec";
import { STRING_TYPES } from "./protocol-constants";
import { errPacket, parseErr } from "./handshake-messages";

/** What a column definition packet says of a result column: where it comes from and its type. */
export type ColumnDef = { schema: string; table: string; orgTable: string; name: string; orgName: string; type: number };

export function parseColumnDef(payload: Buffer): ColumnDef {
  const c = new Cursor(payload);
  c.lenencString(); // catalog, always "def"
  const schema = c.lenencString();
  const table = c.lenencString();
  const orgTable = c.lenencString();
  const name = c.lenencString();
  const orgName = c.lenencString();
  c.lenenc(); // length of the fixed fields (0x0c)
  c.skip(2 + 4); // character set, display length
  const type = c.u8();
  return { schema, table, orgTable, name, orgName, type };
}

/** How one column of a result is masked: a column rule (whole value), the detectors, or not at all. */
type ColumnPlan = { rule: CompiledColumnRule | undefined; scan: boolean; type: number };

/** Fixed sizes of binary-protocol values (types not listed here carry a length byte or are length-encoded strings). */
const FIXED: Record<number, number> = { 0x01: 1, 0x02: 2, 0x0d: 2, 0x03: 4, 0x09: 4, 0x04: 4, 0x05: 8, 0x08: 8, 0x06: 0 };
const DATE_LIKE = new Set([0x07, 0x0a, 0x0b, 0x0c]);

/**
 * Masks the rows of one result set as they stream, using the column definitions that precede them:
 * a column whose source (schema, original table and column, as the server reports them) a column
 * rule covers is masked whole; every text value goes through the detectors. Text rows (COM_QUERY)
 * and binary rows (prepared statements) alike; a masked binary value of a numeric or temporal type
 * becomes NULL (no masked text fits its fixed layout), and integers are read by the detectors in
 * their decimal form. Computed columns (no original table) get the
 * rule of any covered column the query text reads (lineage by name, over-masking rather than
 * under): `CONCAT(email)`, `JSON_OBJECT(...)`, `GROUP_CONCAT`, the columns of a UNION. A view's
 * columns name the view, not its base table: a rule must name the view to cover them.
 */
export class RowMasker {
  private readonly plans: ColumnPlan[] = [];
  readonly masker: ValueMasker;

  constructor(
    private readonly masking: SessionMasking,
    key: Buffer,
  ) {
    this.masker = new ValueMasker(masking, key);
  }

  private lineage: Lineage = { computed: undefined, byName: [] };

  /** An ERR packet whose message quotes a value the detectors find (a duplicate key...), masked; null when nothing in it is. */
  maskedError(payload: Buffer): Buffer | null {
    const e = parseErr(payload);
    const scanned = this.masker.scanText(e.message);
    return scanned === null ? null : errPacket({ code: e.code, state: e.state }, scanned);
  }

  /** A new result of the query `text` (null: its text is not known, e.g. a prepared statement from before). */
  reset(text?: string | null): void {
    this.plans.length = 0;
    if (text !== undefined) this.lineage = this.masking.columns.length ? lineageOf(this.masking, text) : { computed: undefined, byName: [] };
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
    const direct = def.orgTable && def.orgName ? columnRuleFor(this.masking, { schema: def.schema || null, table: def.orgTable, column: def.orgName }) : this.lineage.computed;
    // A column of a derived table or a view reads as that alias: covered when the query reads a covered column of that name.
    const rule = direct ?? (def.orgName ? this.lineage.byName.find((r) => r.column.test(def.orgName.toLowerCase())) : undefined);
    this.plans.push({ rule, scan: this.masking.detectors.length > 0, type: def.type });
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
      const replaced = this.maskValue(this.plans[i], payload, c.pos - value.length, c.pos);
      if (replaced === null) continue;
      out ??= [];
      out.push(payload.subarray(copied, at), lenencBytes(replaced));
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
      let valueStart = start;
      if (STRING_TYPES.has(plan.type)) {
        const len = c.lenenc() ?? 0;
        valueStart = c.pos;
        c.skip(len);
      } else if (FIXED[plan.type] !== undefined) c.skip(FIXED[plan.type]);
      else if (DATE_LIKE.has(plan.type)) c.skip(c.u8());
      else {
        // An unknown type: its size cannot be told, so nothing after it can be read; left as it is.
        parts.push(payload.subarray(start));
        c.pos = payload.length;
        break;
      }
      const end = c.pos;
      if (STRING_TYPES.has(plan.type)) {
        const replaced = this.maskValue(plan, payload, valueStart, end);
        if (replaced !== null) {
          parts.push(lenencBytes(replaced));
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
    if (!plan.scan) return null;
    const scanned = this.masker.scanBytes(buf, start, end);
    return scanned === null ? null : Buffer.from(scanned, "utf8");
  }
}

type Lineage = { computed: CompiledColumnRule | undefined; byName: CompiledColumnRule[] };

/** How the rows of one result set are masked, under the rules it was planned with. */
export type ColumnLayout = { masking: SessionMasking; plans: ColumnPlan[]; lineage: Lineage };

/**
 * What the query text says of covered columns: the rule a computed column must be masked with (the
 * first covered column it reads; every rule's when the text cannot be read), and the rules of the
 * covered columns it reads, for result columns that name an alias instead of a table.
 */
function lineageOf(m: SessionMasking, text: string | null): Lineage {
  const refs = text === null ? null : referencedColumns(text);
  if (!refs) return { computed: m.columns[0], byName: m.columns };
  const byName: CompiledColumnRule[] = [];
  for (const r of refs) {
    const rule = referenceCovered(m, r.table, r.column);
    if (rule && !byName.includes(rule)) byName.push(rule);
  }
  return { computed: byName[0], byName };
}

/** Whether the detectors match a binary integer's decimal form (a card number in a BIGINT). */
function detectedNumber(masker: ValueMasker, type: number, buf: Buffer, at: number): boolean {
  let text: string;
  if (type === 0x08) text = buf.readBigInt64LE(at).toString();
  else if (type === 0x03 || type === 0x09) text = String(buf.readInt32LE(at));
  else return false;
  return masker.scanText(text) !== null;
}
