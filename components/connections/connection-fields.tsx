"use client";
import type { FieldSpec, FieldValues } from "../../core/connections/form-fields";
import { Field, Select, TextArea, TextInput } from "../ui/field";

export type { FieldValues };

/** Which of a type's fields the form shows: those whose condition holds and, for a one-time value like a pinned host key, only while none is stored. */
export function visibleFields(fields: readonly FieldSpec[], values: FieldValues, storedSettings: Record<string, unknown>): FieldSpec[] {
  return fields.filter((f) => (!f.showWhen || values[f.showWhen.key] === f.showWhen.is) && !(f.hiddenOnceStored && storedSettings[f.key] !== undefined));
}

/**
 * Renders a connection type's fields from its spec. Secret fields are write-only: they start
 * empty, say whether a value is stored, and (unless switching the credential does it) offer to remove it.
 */
export function ConnectionFields({
  fields,
  values,
  errors,
  storedSecrets,
  clear,
  onChange,
  onClear,
}: {
  fields: readonly FieldSpec[];
  values: FieldValues;
  errors: Record<string, string>;
  storedSecrets: string[];
  clear: string[];
  onChange: (key: string, value: string) => void;
  onClear: (key: string, cleared: boolean) => void;
}) {
  return (
    <>
      {fields.map((f) => {
        const id = `field-${f.key}`;
        const span = f.wide ? "md:col-span-2" : "";
        const common = { name: id, value: values[f.key] ?? "", invalid: Boolean(errors[f.key]), required: f.required, "aria-required": f.required || undefined };
        if (f.kind === "checkbox") {
          return (
            <div key={f.key} className={`space-y-1 ${span}`}>
              <label className="flex items-center gap-2 text-sm font-medium text-slate-700">
                <input type="checkbox" name={id} checked={values[f.key] === "true"} onChange={(e) => onChange(f.key, String(e.target.checked))} />
                {f.label}
              </label>
              {errors[f.key] ? (
                <p role="alert" className="text-xs text-rose-600">
                  {errors[f.key]}
                </p>
              ) : f.hint ? (
                <p className="pl-6 text-xs text-slate-500">{f.hint}</p>
              ) : null}
            </div>
          );
        }
        if (f.kind === "select") {
          return (
            <div key={f.key} className={span}>
              <Field label={f.label} name={id} error={errors[f.key]} hint={f.hint}>
                <Select {...common} onChange={(e) => onChange(f.key, e.target.value)}>
                  {(f.options ?? []).map((o) => (
                    <option key={o} value={o}>
                      {f.optionLabels?.[o] ?? o}
                    </option>
                  ))}
                </Select>
              </Field>
            </div>
          );
        }
        if (f.secret) {
          const stored = storedSecrets.includes(f.key);
          const clearing = clear.includes(f.key);
          const hint = clearing
            ? `The stored ${f.label.toLowerCase()} will be removed when you save.`
            : stored
              ? `A ${f.label.toLowerCase()} is stored. Leave this empty to keep it; ${f.kind === "textarea" ? "paste" : "type"} a new one to replace it.`
              : `${f.hint ? `${f.hint} ` : ""}Stored encrypted; never shown again.`;
          const placeholder = stored && !clearing ? "•••••••• (stored)" : f.placeholder;
          return (
            <div key={f.key} className={`space-y-2 ${span}`}>
              <Field label={f.label} name={id} error={errors[f.key]} hint={hint}>
                {f.kind === "textarea" ? (
                  <TextArea {...common} rows={stored ? 3 : 7} spellCheck={false} autoComplete="off" disabled={clearing} placeholder={placeholder} onChange={(e) => onChange(f.key, e.target.value)} />
                ) : (
                  <TextInput {...common} type="password" autoComplete="new-password" disabled={clearing} placeholder={placeholder} onChange={(e) => onChange(f.key, e.target.value)} />
                )}
              </Field>
              {stored && f.removable !== false ? (
                <label className="flex items-center gap-2 text-sm text-slate-700">
                  <input type="checkbox" checked={clearing} onChange={(e) => onClear(f.key, e.target.checked)} />
                  Remove the stored value
                </label>
              ) : null}
            </div>
          );
        }
        return (
          <div key={f.key} className={span}>
            <Field label={f.label} name={id} error={errors[f.key]} hint={f.hint}>
              <TextInput
                {...common}
                type={f.kind === "number" ? "number" : "text"}
                inputMode={f.kind === "number" ? "numeric" : undefined}
                min={f.kind === "number" ? 1 : undefined}
                max={f.kind === "number" ? 65535 : undefined}
                placeholder={f.placeholder}
                autoComplete="off"
                spellCheck={false}
                onChange={(e) => onChange(f.key, e.target.value)}
              />
            </Field>
          </div>
        );
      })}
    </>
  );
}
