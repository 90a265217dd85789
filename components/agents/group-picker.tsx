"use client";
import { splitGroups } from "../../server/agents/names";
import { Field, TextInput } from "../ui/field";

/**
 * Groups as a typed list (comma or space separated; new names are created) with the existing
 * groups one click away, so the common case is picking and the rare one is typing.
 */
export function GroupPicker({
  name,
  label,
  value,
  onChange,
  known,
  hint,
  error,
}: {
  name: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  known: string[];
  hint?: string;
  error?: string;
}) {
  const chosen = splitGroups(value);
  const toggle = (g: string) => onChange((chosen.includes(g) ? chosen.filter((c) => c !== g) : [...chosen, g]).join(", "));
  return (
    <div className="space-y-1.5">
      <Field label={label} name={name} hint={hint ?? "Comma-separated; a new name creates the group."} error={error}>
        <TextInput name={name} value={value} onChange={(e) => onChange(e.target.value)} placeholder="analysts" autoComplete="off" invalid={!!error} />
      </Field>
      {known.length ? (
        <div className="flex flex-wrap items-center gap-1.5 text-xs text-slate-500">
          <span>Pick:</span>
          {known.map((g) => (
            <button
              key={g}
              type="button"
              aria-pressed={chosen.includes(g)}
              onClick={() => toggle(g)}
              className={`rounded-full px-2 py-0.5 font-medium ring-1 ring-inset ${chosen.includes(g) ? "bg-brand text-white ring-brand" : "bg-white text-slate-600 ring-slate-300 hover:bg-slate-50"}`}
            >
              {g}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
