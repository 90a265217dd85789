"use client";
import { usePathname, useRouter } from "next/navigation";
import { useState, type ReactNode } from "react";
import { Button } from "./button";
import { Field, Select, TextInput } from "./field";

type Values = Record<string, string | undefined>;
const clean = <T extends Values>(f: T) => Object.fromEntries(Object.entries(f).filter(([, v]) => v)) as T;

/** Filters that live in the address bar: a draft the form edits, and the applied set the query uses. */
export function useUrlFilters<T extends Values>(initial: T) {
  const router = useRouter();
  const pathname = usePathname();
  const [draft, setDraft] = useState<T>(initial);
  const [filters, setFilters] = useState<T>(clean(initial));
  const apply = (next: T) => {
    const c = clean(next);
    setFilters(c);
    const qs = new URLSearchParams(c as Record<string, string>);
    router.replace(`${pathname}${qs.size ? `?${qs}` : ""}`, { scroll: false });
  };
  const field = (key: keyof T & string) => ({ value: draft[key] ?? "", onChange: (value: string) => setDraft({ ...draft, [key]: value || undefined }) });
  return { draft, filters, field, apply: () => apply(draft), clear: () => (setDraft({} as T), apply({} as T)), filtered: Object.keys(filters).length > 0 };
}

type FieldBinding = { value: string; onChange: (v: string) => void };

export function FilterForm({
  label,
  submitLabel,
  filtered,
  onSubmit,
  onClear,
  children,
}: {
  label: string;
  submitLabel: string;
  filtered: boolean;
  onSubmit: () => void;
  onClear: () => void;
  children: ReactNode;
}) {
  return (
    <form
      aria-label={label}
      className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <div className="flex items-end gap-2">
        <Button type="submit">{submitLabel}</Button>
        {filtered ? (
          <Button variant="ghost" onClick={onClear}>
            Clear
          </Button>
        ) : null}
      </div>
    </form>
  );
}

export function TextFilter({ label, name, placeholder, bind, type }: { label: string; name: string; placeholder?: string; bind: FieldBinding; type?: string }) {
  return (
    <Field label={label} name={name}>
      <TextInput name={name} type={type} value={bind.value} placeholder={placeholder} onChange={(e) => bind.onChange(e.target.value)} />
    </Field>
  );
}

export function ChoiceFilter({ label, name, options, bind }: { label: string; name: string; options: readonly string[]; bind: FieldBinding }) {
  return (
    <Field label={label} name={name}>
      <Select name={name} value={bind.value} onChange={(e) => bind.onChange(e.target.value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </Select>
    </Field>
  );
}

/**
 * A `datetime-local` value read as UTC, because every time in the console is shown in UTC; an
 * unreadable value (a hand-edited address bar) is dropped rather than breaking the page.
 */
export function utcFromInput(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
