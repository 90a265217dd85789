"use client";
import type { FieldSpec } from "../../server/connections/connection-forms";
import { Field, Select, TextInput } from "../ui/field";

export type FieldValues = Record<string, string>;

/**
 * Renders a connection type's fields from its spec. Secret fields are write-only: they start
 * empty, say whether a value is stored, and offer to remove it.
 */
export function ConnectionFields({
  fields, values, errors, storedSecrets, clear, onChange, onClear,
}: {
  fields: readonly FieldSpec[]; values: FieldValues; errors: Record<string, string>; storedSecrets: string[]; clear: string[];
  onChange: (key: string, value: string) => void; onClear: (key: string, cleared: boolean) => void;
}) {
  return (
    <>
      {fields.map((f) => {
        const id = `field-${f.key}`;
        const common = { name: id, value: values[f.key] ?? "", invalid: Boolean(errors[f.key]), required: f.required, "aria-required": f.required || undefined };
        if (f.kind === "select") {
          return (
            <Field key={f.key} label={f.label} name={id} error={errors[f.key]} hint={f.hint}>
              <Select {...common} onChange={(e) => onChange(f.key, e.target.value)}>
                {(f.options ?? []).map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </Select>
            </Field>
          );
        }
        if (f.secret) {
          const stored = storedSecrets.includes(f.key);
          const clearing = clear.includes(f.key);
          const hint = clearing
            ? `The stored ${f.label.toLowerCase()} will be removed when you save.`
            : stored
              ? `A ${f.label.toLowerCase()} is stored. Leave this empty to keep it; type a new one to replace it.`
              : "Stored encrypted; never shown again.";
          return (
            <div key={f.key} className="space-y-2">
              <Field label={f.label} name={id} error={errors[f.key]} hint={hint}>
                <TextInput {...common} type="password" autoComplete="new-password" disabled={clearing} placeholder={stored && !clearing ? "•••••••• (stored)" : undefined} onChange={(e) => onChange(f.key, e.target.value)} />
              </Field>
              {stored ? (
                <label className="flex items-center gap-2 text-sm text-slate-700">
                  <input type="checkbox" checked={clearing} onChange={(e) => onClear(f.key, e.target.checked)} />
                  Remove the stored value
                </label>
              ) : null}
            </div>
          );
        }
        return (
          <Field key={f.key} label={f.label} name={id} error={errors[f.key]} hint={f.hint}>
            <TextInput
              {...common}
              type={f.kind === "number" ? "number" : "text"}
              inputMode={f.kind === "number" ? "numeric" : undefined}
              min={f.kind === "number" ? 1 : undefined}
              max={f.kind === "number" ? 65535 : undefined}
              placeholder={f.placeholder}
              autoComplete="off"
              onChange={(e) => onChange(f.key, e.target.value)}
            />
          </Field>
        );
      })}
    </>
  );
}
