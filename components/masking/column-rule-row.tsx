"use client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { STYLE_LABELS, STYLES, type ColumnDraft, type MaskStyle } from "./rules-draft";

type Props = {
  index: number;
  count: number;
  rule: ColumnDraft;
  errors: Record<string, string>;
  readOnly: boolean;
  onChange: (r: ColumnDraft) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
};

/** One column rule of the ordered list: which columns, how they are masked, who sees them unmasked. */
export function ColumnRuleRow({ index, count, rule, errors, readOnly, onChange, onMove, onRemove }: Props) {
  const id = (f: string) => `c${index}-${f}`;
  const name = rule.column.trim() || "(no pattern yet)";
  return (
    <section aria-label={`Column rule ${index + 1}: ${name}`} className="rounded-md border border-slate-200">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-3 py-2">
        <span className="min-w-0 break-all text-sm font-semibold text-slate-700">
          {index + 1}. {name}
        </span>
        {readOnly ? null : (
          <div className="flex gap-1">
            <Button size="sm" variant="ghost" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`Move column rule ${index + 1} up`}>
              ↑
            </Button>
            <Button size="sm" variant="ghost" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={`Move column rule ${index + 1} down`}>
              ↓
            </Button>
            <Button size="sm" variant="ghost" onClick={onRemove} aria-label={`Remove column rule ${index + 1}`}>
              Remove
            </Button>
          </div>
        )}
      </div>
      {/* The style column is as wide as its longest option (never cut short); the groups take the rest. */}
      <div className="grid gap-3 p-3 sm:grid-cols-[auto_minmax(0,1fr)]">
        <div className="sm:col-span-2">
          <Field label="Columns" name={id("column")} hint="table.column or schema.table.column; * is a wildcard (*.email)." error={errors.column}>
            <TextInput
              name={id("column")}
              value={rule.column}
              placeholder="public.customers.email"
              disabled={readOnly}
              invalid={Boolean(errors.column)}
              onChange={(e) => onChange({ ...rule, column: e.target.value })}
            />
          </Field>
        </div>
        <Field label="Style" name={id("style")} error={errors.style}>
          <Select name={id("style")} value={rule.style} disabled={readOnly} invalid={Boolean(errors.style)} onChange={(e) => onChange({ ...rule, style: e.target.value as MaskStyle })}>
            {STYLES.map((s) => (
              <option key={s} value={s}>
                {STYLE_LABELS[s]}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Exempt groups" name={id("exemptGroups")} hint="Comma-separated; they see this column unmasked." error={errors.exemptGroups}>
          <TextInput
            name={id("exemptGroups")}
            value={rule.exemptGroups}
            placeholder="none"
            disabled={readOnly}
            invalid={Boolean(errors.exemptGroups)}
            onChange={(e) => onChange({ ...rule, exemptGroups: e.target.value })}
          />
        </Field>
      </div>
    </section>
  );
}
