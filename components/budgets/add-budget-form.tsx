"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { parseAmount, parseWindow } from "../../core/budgets/budget-rules";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { ErrorBox } from "../ui/page";

type Draft = {
  name: string;
  subjectKind: "identity" | "group" | "everyone";
  subject: string;
  connection: string;
  rows: string;
  bytes: string;
  window: string;
  onExceed: "refuse" | "review";
  warn: string;
};
const EMPTY: Draft = { name: "", subjectKind: "group", subject: "", connection: "*", rows: "10k", bytes: "", window: "1h", onExceed: "review", warn: "80" };

/** Reads the draft as the CLI reads its flags (10k, 100MB, 1h): one message per field that does not read. */
function readDraft(d: Draft) {
  const errors: Partial<Record<keyof Draft, string>> = {};
  const attempt = <T,>(field: keyof Draft, f: () => T): T | null => {
    try {
      return f();
    } catch (err) {
      errors[field] = (err as Error).message;
      return null;
    }
  };
  const maxRows = d.rows.trim() ? attempt("rows", () => parseAmount(d.rows, "rows")) : null;
  const maxBytes = d.bytes.trim() ? attempt("bytes", () => parseAmount(d.bytes, "bytes")) : null;
  const windowSeconds = attempt("window", () => parseWindow(d.window));
  if (!d.rows.trim() && !d.bytes.trim()) errors.rows = "give a row limit, a byte limit or both";
  if (d.subjectKind !== "everyone" && !d.subject.trim()) errors.subject = `name the ${d.subjectKind}`;
  const warnPercent = Number(d.warn);
  if (!Number.isInteger(warnPercent) || warnPercent < 1 || warnPercent > 100) errors.warn = "a percentage from 1 to 100";
  if (Object.keys(errors).length || windowSeconds === null) return { errors };
  return {
    errors,
    input: { name: d.name.trim(), subjectKind: d.subjectKind, subject: d.subject.trim(), connection: d.connection.trim() || "*", maxRows, maxBytes, windowSeconds, onExceed: d.onExceed, warnPercent },
  };
}

export function AddBudgetForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof Draft, string>>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const save = useMutation(
    trpc.budgets.save.mutationOptions({
      onSuccess: (b) => {
        setSaved(b.name);
        setDraft(EMPTY);
        void queryClient.invalidateQueries({ queryKey: trpc.budgets.pathKey() });
      },
    }),
  );
  const set = (field: keyof Draft) => (e: { target: { value: string } }) => {
    setSaved(null);
    save.reset();
    setErrors((x) => ({ ...x, [field]: undefined }));
    setDraft((d) => ({ ...d, [field]: e.target.value }));
  };
  const failure = save.error ? describeError(save.error) : undefined;

  return (
    <form
      aria-label="Add or replace a budget"
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const read = readDraft(draft);
        setErrors(read.errors);
        if (read.input) save.mutate(read.input);
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <Field label="Name" name="budget-name" error={errors.name ?? failure?.fields.name} hint="A budget of the same name is replaced.">
          <TextInput name="budget-name" value={draft.name} onChange={set("name")} placeholder="contractors-hourly" required maxLength={100} autoComplete="off" />
        </Field>
        <Field label="Applies to" name="budget-subject-kind">
          <Select name="budget-subject-kind" value={draft.subjectKind} onChange={set("subjectKind")}>
            <option value="group">each member of a group</option>
            <option value="identity">one identity</option>
            <option value="everyone">every identity, each on its own</option>
          </Select>
        </Field>
        {draft.subjectKind !== "everyone" ? (
          <Field label={draft.subjectKind === "group" ? "Group" : "Identity"} name="budget-subject" error={errors.subject}>
            <TextInput
              name="budget-subject"
              value={draft.subject}
              onChange={set("subject")}
              placeholder={draft.subjectKind === "group" ? "contractors" : "nightly-etl"}
              invalid={!!errors.subject}
              autoComplete="off"
            />
          </Field>
        ) : null}
        <Field label="Connections" name="budget-connection" hint="A name or a pattern: *, prod-*.">
          <TextInput name="budget-connection" value={draft.connection} onChange={set("connection")} autoComplete="off" />
        </Field>
        <Field label="Rows per window" name="budget-rows" error={errors.rows} hint="10000, 10k, 1.5m; empty: no row limit.">
          <TextInput name="budget-rows" value={draft.rows} onChange={set("rows")} invalid={!!errors.rows} autoComplete="off" />
        </Field>
        <Field label="Bytes per window" name="budget-bytes" error={errors.bytes} hint="100MB, 1GiB; empty: no byte limit.">
          <TextInput name="budget-bytes" value={draft.bytes} onChange={set("bytes")} invalid={!!errors.bytes} autoComplete="off" />
        </Field>
        <Field label="Window" name="budget-window" error={errors.window} hint="1h, 30m, 1d: fixed windows of the clock (UTC).">
          <TextInput name="budget-window" value={draft.window} onChange={set("window")} invalid={!!errors.window} autoComplete="off" />
        </Field>
        <Field label="Past the budget" name="budget-on-exceed">
          <Select name="budget-on-exceed" value={draft.onExceed} onChange={set("onExceed")}>
            <option value="review">hold the result for an approver to extend it</option>
            <option value="refuse">cut the result off with an error</option>
          </Select>
        </Field>
        <Field label="Warn at (%)" name="budget-warn" error={errors.warn} hint="The client is told once it has used this much.">
          <TextInput name="budget-warn" value={draft.warn} onChange={set("warn")} inputMode="numeric" invalid={!!errors.warn} autoComplete="off" />
        </Field>
      </div>
      {failure && Object.keys(failure.fields).length === 0 ? <ErrorBox title="The budget was not saved" message={failure.message} /> : null}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save budget"}
        </Button>
        {saved ? (
          <p role="status" className="text-sm text-emerald-700">
            Budget {saved} saved: every gateway applies it to the next session.
          </p>
        ) : null}
      </div>
    </form>
  );
}
