"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { MaskingRules } from "../../core/masking/masking-rules";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { Badge, Card, ErrorBox, LoadingRows } from "../ui/page";
import { ColumnRuleRow } from "./column-rule-row";
import { DetectorsCard } from "./detectors-card";
import { PreviewBox } from "./preview-box";
import { RulesJsonCard } from "./rules-json-card";
import { emptyColumn, errorsByField, noErrors, toDraft, toRules, type DraftErrors, type RulesDraft } from "./rules-draft";

type DetectorInfo = { id: string; label: string; description: string };

/** One connection's masking rules, validated with the gateway's own schema, and a preview of sample values before saving. */
export function MaskingEditor({ name, canEdit }: { name: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.masking.get.queryOptions({ name }));
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  return <Editor name={name} initial={query.data.rules} unreadable={query.data.unreadable} detectors={query.data.detectors} canEdit={canEdit} />;
}

function Editor({ name, initial, unreadable, detectors, canEdit }: { name: string; initial: MaskingRules | null; unreadable: string | null; detectors: DetectorInfo[]; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = detectors.map((d) => d.id);
  const [draft, setDraft] = useState<RulesDraft>(() => toDraft(initial, ids));
  const [errors, setErrors] = useState<DraftErrors>(noErrors);
  const rules = toRules(draft, ids);
  // The server validates with the gateway's schema; its field errors land under each control.
  const showErrors = (fields: Record<string, string>) => setErrors(errorsByField(fields));
  const save = useMutation(
    trpc.masking.save.mutationOptions({
      onError: (err) => showErrors(describeError(err).fields),
      onSuccess: () => (setErrors(noErrors()), void queryClient.invalidateQueries({ queryKey: trpc.masking.pathKey() })),
    }),
  );
  // Any edit makes the last "saved" message stale.
  const edit = (next: RulesDraft) => (setDraft(next), save.reset());
  const saved = JSON.stringify(toRules(toDraft(initial, ids), ids));
  // With nothing stored, an empty form is not a change worth flagging.
  const dirty = initial ? JSON.stringify(rules) !== saved : draft.columns.length > 0 || draft.builtIn.length > 0 || draft.custom.length > 0 || draft.exemptGroups.trim() !== "";
  const columns = draft.columns;
  const move = (i: number, d: -1 | 1) => {
    const next = [...columns];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    // Errors are kept by position: after a move they would point at the wrong rule.
    setErrors(noErrors());
    edit({ ...draft, columns: next });
  };

  return (
    <div className="grid gap-6 xl:grid-cols-[minmax(0,1fr)_24rem]">
      <div className="min-w-0 space-y-4">
        <Card title="Masking rules">
          <div className="flex flex-wrap items-center gap-3">
            {canEdit ? (
              <Button disabled={save.isPending} onClick={() => save.mutate({ name, rules })}>
                {save.isPending ? "Saving…" : "Save masking rules"}
              </Button>
            ) : (
              <Badge>read-only for your role</Badge>
            )}
            {save.isSuccess ? (
              <span role="status" className="text-sm text-emerald-700">
                Saved: every gateway instance reloads them within a second.
              </span>
            ) : null}
            {canEdit && dirty && !save.isSuccess ? <Badge tone="amber">unsaved changes</Badge> : null}
          </div>
          <div className="mt-4 max-w-sm">
            <Field label="Exempt groups (whole connection)" name="exempt-groups" hint="Comma-separated; members see every result unmasked." error={errors.top.exemptGroups}>
              <TextInput
                name="exempt-groups"
                value={draft.exemptGroups}
                placeholder="none"
                disabled={!canEdit}
                invalid={Boolean(errors.top.exemptGroups)}
                onChange={(e) => edit({ ...draft, exemptGroups: e.target.value })}
              />
            </Field>
          </div>
          {initial === null && !unreadable ? (
            <p className="mt-3 text-sm text-slate-500">
              <Badge tone="amber">no rules: results pass unmasked</Badge>{" "}
              {canEdit ? "Add a column rule or tick a detector; once saved, every result of this connection is masked as it streams." : null}
            </p>
          ) : null}
          {unreadable && !save.isSuccess ? (
            <div className="mt-3">
              <ErrorBox
                title="The stored rules do not pass the gateway's schema: its sessions on this connection are refused"
                message={`${unreadable}. ${initial ? "Correct the detector below and save." : "Saving this form replaces them."}`}
              />
            </div>
          ) : null}
          {errors.top.rules ? (
            <p role="alert" className="mt-2 text-xs text-rose-600">
              {errors.top.rules}
            </p>
          ) : null}
          {save.error ? (
            <div className="mt-3">
              <ErrorBox title="Not saved: fix the fields marked below" message={describeError(save.error).message} />
            </div>
          ) : null}
        </Card>

        <Card title="Column rules, first match decides">
          <div className="space-y-3">
            {columns.length === 0 ? <p className="text-sm text-slate-500">No column rules: a column is masked only where a detector finds something in it.</p> : null}
            {columns.map((c, i) => (
              <ColumnRuleRow
                key={i}
                index={i}
                count={columns.length}
                rule={c}
                errors={errors.columns[i] ?? {}}
                readOnly={!canEdit}
                onChange={(x) => edit({ ...draft, columns: columns.map((y, j) => (j === i ? x : y)) })}
                onMove={(d) => move(i, d)}
                onRemove={() => (setErrors(noErrors()), edit({ ...draft, columns: columns.filter((_, j) => j !== i) }))}
              />
            ))}
            {canEdit ? (
              <Button variant="secondary" onClick={() => edit({ ...draft, columns: [...columns, emptyColumn()] })}>
                Add column rule
              </Button>
            ) : null}
          </div>
        </Card>

        {draft.paths?.length ? (
          <Card title="JSON path rules (HTTP bodies)">
            <ul className="space-y-1 font-mono text-xs text-slate-700">
              {draft.paths.map((p) => (
                <li key={p.path}>
                  {p.path} · {p.style}
                  {p.exemptGroups?.length ? ` · exempt: ${p.exemptGroups.join(", ")}` : ""}
                </li>
              ))}
            </ul>
            <p className="mt-2 text-xs text-slate-500">Set with `gatehouse masking apply`; kept as they are when you save this page.</p>
          </Card>
        ) : null}
        <DetectorsCard draft={draft} detectors={detectors} errors={errors} readOnly={!canEdit} onChange={edit} />
        <RulesJsonCard connection={name} rules={rules} />
      </div>
      <div className="min-w-0">
        <PreviewBox rules={rules} onInvalid={showErrors} />
      </div>
    </div>
  );
}
