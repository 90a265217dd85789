"use client";
import { useEffect, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import type { MaskingRules } from "../../core/masking/masking-rules";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { Badge, Card, ErrorBox } from "../ui/page";
import { DEFAULT_SAMPLES, type Sample } from "./preview-samples";

/**
 * Masks sample values under the rules as they are in the form (saved or not), on the server with
 * the gateway's own masker. `onInvalid` receives field errors when the rules themselves are invalid.
 */
export function PreviewBox({ rules, onInvalid }: { rules: MaskingRules; onInvalid: (fields: Record<string, string>) => void }) {
  const trpc = useTRPC();
  const [samples, setSamples] = useState<Sample[]>(DEFAULT_SAMPLES);
  const [groups, setGroups] = useState("");
  const [sampleErrors, setSampleErrors] = useState<Record<string, string>>({});
  const preview = useMutation(
    trpc.masking.preview.mutationOptions({
      onSuccess: () => (onInvalid({}), setSampleErrors({})),
      onError: (err) => {
        const fields = describeError(err).fields;
        setSampleErrors(Object.fromEntries(Object.entries(fields).filter(([k]) => k.startsWith("samples."))));
        onInvalid(Object.fromEntries(Object.entries(fields).filter(([k]) => !k.startsWith("samples."))));
      },
    }),
  );
  // A result for other rules or other samples would mislead: clear it when either changes.
  const shape = JSON.stringify([rules, samples, groups]);
  const { reset } = preview;
  useEffect(() => reset(), [shape, reset]);
  const rows = preview.data?.rows;
  const set = (i: number, s: Sample) => setSamples(samples.map((x, j) => (j === i ? s : x)));

  return (
    <Card title="Preview">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          preview.mutate({
            rules,
            samples: samples.map((s) => ({ column: s.column.trim() || null, value: s.value })),
            groups: groups
              .split(",")
              .map((g) => g.trim())
              .filter(Boolean),
          });
        }}
      >
        <p className="text-xs text-slate-500">
          What the gateway would send for each value under the rules on this page, saved or not. Name a column to apply column rules; detectors apply to every value. Tokens here come from a preview
          key: the shape, not this connection's token.
        </p>
        <ol className="space-y-3">
          {samples.map((s, i) => (
            <li key={i} role="group" aria-label={`Sample ${i + 1}`} className="space-y-2 rounded-md border border-slate-200 p-2.5">
              <div className="flex items-end gap-2">
                <div className="min-w-0 flex-1">
                  <Field label={`Sample ${i + 1} column`} name={`sample${i}-column`} error={sampleErrors[`samples.${i}.column`]}>
                    <TextInput
                      name={`sample${i}-column`}
                      value={s.column}
                      placeholder="optional: table.column"
                      invalid={Boolean(sampleErrors[`samples.${i}.column`])}
                      onChange={(e) => set(i, { ...s, column: e.target.value })}
                    />
                  </Field>
                </div>
                <Button size="sm" variant="ghost" disabled={samples.length === 1} onClick={() => setSamples(samples.filter((_, j) => j !== i))} aria-label={`Remove sample ${i + 1}`}>
                  Remove
                </Button>
              </div>
              <Field label={`Sample ${i + 1} value`} name={`sample${i}-value`}>
                <TextInput name={`sample${i}-value`} value={s.value} onChange={(e) => set(i, { ...s, value: e.target.value })} />
              </Field>
              {rows?.[i] ? <PreviewResult row={rows[i]} /> : null}
            </li>
          ))}
        </ol>
        <div className="flex flex-wrap gap-2">
          <Button size="sm" variant="secondary" disabled={samples.length >= 20} onClick={() => setSamples([...samples, { column: "", value: "" }])}>
            Add sample
          </Button>
        </div>
        <Field label="As a member of groups" name="preview-groups" hint="Comma-separated; to see who is exempt. Empty: no group.">
          <TextInput name="preview-groups" value={groups} onChange={(e) => setGroups(e.target.value)} placeholder="analysts" />
        </Field>
        <Button type="submit" disabled={preview.isPending}>
          {preview.isPending ? "Masking…" : "Preview"}
        </Button>
      </form>
      {preview.error ? (
        <div className="mt-4">
          <ErrorBox title="Cannot preview yet" message={describeError(preview.error).message} />
        </div>
      ) : null}
      {preview.data ? (
        <p role="status" className="mt-3 text-xs text-slate-600">
          {preview.data.exemptBy.length > 0
            ? `Members of ${preview.data.exemptBy.join(", ")} are exempt: they see every value unmasked.`
            : `${preview.data.rows.filter((r) => r.changed).length} of ${preview.data.rows.length} sample(s) masked.`}
        </p>
      ) : null}
    </Card>
  );
}

function PreviewResult({ row }: { row: { masked: string; changed: boolean; because: string } }) {
  return (
    <div aria-label="What the gateway sends" className="rounded bg-slate-50 p-2 text-xs">
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone={row.changed ? "green" : "slate"}>{row.changed ? "masked" : "unchanged"}</Badge>
        <code className="min-w-0 break-all font-mono text-slate-900">{row.masked}</code>
      </div>
      <p className="mt-1 text-slate-500">{row.because}</p>
    </div>
  );
}
