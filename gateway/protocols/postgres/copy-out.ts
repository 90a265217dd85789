import type { ValueMasker } from "../../../core/masking/value-masker";
import type { MaskStyle } from "../../../core/masking/mask-text";

export type CopyColumnRule = { style: MaskStyle; rule: string };
/** How to mask the rows of one COPY ... TO STDOUT: its text format, and the rule of each column (or all of them). */
export type CopyPlan = { csv: boolean; delimiter: string; quote: string; header: boolean; columns: Array<CopyColumnRule | undefined> | "all" };

/**
 * Masks one CopyData row of a COPY TO STDOUT in text or CSV format (PostgreSQL sends a row per
 * message): the columns under a rule whole, then detector hits anywhere in the line (replacements
 * hold no delimiter, quote or backslash). The header line of CSV HEADER is only scanned.
 */
export function maskCopyRow(buf: Buffer, start: number, end: number, plan: CopyPlan, isHeader: boolean, m: ValueMasker): Buffer | undefined {
  let line: string | null = null;
  const body = start + 5;
  if (!isHeader && (plan.columns === "all" || plan.columns.some(Boolean))) {
    const text = buf.toString("utf8", body, end);
    const newline = text.endsWith("\n") ? "\n" : "";
    const content = text.slice(0, text.length - newline.length);
    const fields = plan.csv ? splitCsv(content, plan.delimiter, plan.quote) : content.split(plan.delimiter).map((raw) => ({ raw, value: raw, isNull: raw === "\\N" }));
    let changed = false;
    const out = fields.map((f, i) => {
      const rule = plan.columns === "all" ? { style: "redact" as const, rule: "copy" } : plan.columns[i];
      if (!rule || f.isNull) return f.raw;
      changed = true;
      const masked = m.whole(f.value, rule.style, rule.rule);
      return plan.csv ? plan.quote + masked.split(plan.quote).join(plan.quote + plan.quote) + plan.quote : masked;
    });
    if (changed) line = out.join(plan.delimiter) + newline;
  }
  const scanned = line === null ? m.scanBytes(buf, body, end) : (m.scanText(line) ?? line);
  if (scanned === null) return undefined;
  const payload = Buffer.from(scanned, "utf8");
  const msg = Buffer.allocUnsafe(5 + payload.length);
  msg[0] = buf[start];
  msg.writeInt32BE(4 + payload.length, 1);
  payload.copy(msg, 5);
  return msg;
}

type CopyField = { raw: string; value: string; isNull: boolean };

function splitCsv(line: string, delimiter: string, quote: string): CopyField[] {
  const out: CopyField[] = [];
  let i = 0;
  for (;;) {
    let raw = "";
    let value = "";
    let quoted = false;
    if (line[i] === quote) {
      quoted = true;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] !== quote) continue;
        if (line[j + 1] === quote) {
          j++;
          continue;
        }
        break;
      }
      raw = line.slice(i, j + 1);
      value = raw
        .slice(1, -1)
        .split(quote + quote)
        .join(quote);
      i = j + 1;
    }
    const next = line.indexOf(delimiter, i);
    const rest = line.slice(i, next < 0 ? line.length : next);
    raw += rest;
    value += rest;
    // In CSV an unquoted empty field is NULL.
    out.push({ raw, value, isNull: !quoted && raw === "" });
    if (next < 0) return out;
    i = next + delimiter.length;
  }
}
