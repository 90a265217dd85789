"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { policySchema, type Policy } from "../../gateway/policy/policy";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { CopyButton } from "../ui/copy-button";
import { Field, Select, TextArea, TextInput } from "../ui/field";
import { Badge, Card, ErrorBox, LoadingRows } from "../ui/page";
import { RuleCard } from "./rule-card";
import { emptyRule, toDraft, toPolicy, type RuleDraft } from "./rule-draft";

const TONE = { allow: "green", deny: "red", review: "amber" } as const;

/** The ordered rule list of one connection, validated with the gateway's own schema, and a box to try statements against it before saving. */
export function PolicyEditor({ name, canEdit }: { name: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.guardrails.get.queryOptions({ name }));
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  return <Editor name={name} initial={query.data.policy} canEdit={canEdit} />;
}

function Editor({ name, initial, canEdit }: { name: string; initial: Policy | null; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [defaultAction, setDefault] = useState<Policy["defaultAction"]>(initial?.defaultAction ?? "allow");
  const [rules, setRules] = useState<RuleDraft[]>(initial?.rules.map(toDraft) ?? []);
  const [errors, setErrors] = useState<Record<number, Record<string, string>>>({});
  const [formError, setFormError] = useState<string>();
  const [trial, setTrial] = useState({ text: "", identity: "agent-7", groups: "" });
  const save = useMutation(trpc.guardrails.save.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.guardrails.pathKey() }) }));
  const attempt = useMutation(trpc.guardrails.try.mutationOptions());
  const policy = toPolicy(defaultAction, rules);

  /** Validates with the gateway's schema; puts each issue under its rule and field. */
  const validated = (): Policy | undefined => {
    const parsed = policySchema.safeParse(policy);
    const names = rules.map((r) => r.name.trim());
    const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
    if (parsed.success && dup < 0) return (setErrors({}), setFormError(undefined), parsed.data);
    const next: Record<number, Record<string, string>> = {};
    if (dup >= 0) next[dup] = { name: "two rules have this name: the audit names the deciding rule, so make them unique" };
    for (const issue of parsed.success ? [] : parsed.error.issues) {
      const [top, index, ...rest] = issue.path;
      if (top === "rules" && typeof index === "number") {
        const field = String(rest[rest.length - 1] ?? "name");
        next[index] = { ...next[index], [field]: issue.message };
      }
    }
    setErrors(next);
    setFormError(parsed.success ? undefined : z.prettifyError(parsed.error));
    return undefined;
  };
  const update = (i: number, r: RuleDraft) => setRules(rules.map((x, j) => (j === i ? r : x)));
  const move = (i: number, d: -1 | 1) => {
    const next = [...rules];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    setRules(next);
  };

  return (
    <div className="grid gap-6 xl:grid-cols-[minmax(0,1fr)_24rem]">
      <div className="space-y-4">
        <Card title="Rules, first match decides">
          <div className="flex flex-wrap items-end gap-3">
            <div className="w-64">
              <Field label="When no rule matches" name="default-action">
                <Select name="default-action" value={defaultAction} disabled={!canEdit} onChange={(e) => setDefault(e.target.value as Policy["defaultAction"])}>
                  <option value="allow">allow</option>
                  <option value="deny">deny</option>
                  <option value="review">review</option>
                </Select>
              </Field>
            </div>
            {canEdit ? (
              <>
                <Button variant="secondary" onClick={() => setRules([...rules, emptyRule(rules.length + 1)])}>
                  Add rule
                </Button>
                <Button
                  disabled={save.isPending}
                  onClick={() => {
                    const p = validated();
                    if (p) save.mutate({ name, policy: p });
                  }}
                >
                  {save.isPending ? "Saving…" : "Save policy"}
                </Button>
              </>
            ) : (
              <Badge>read-only for your role</Badge>
            )}
            {save.isSuccess ? <span className="text-sm text-emerald-700">Saved: every gateway instance reloads it within a second.</span> : null}
          </div>
          {initial === null && rules.length === 0 ? <p className="mt-3 text-sm text-slate-500">No policy yet: everything is allowed. Add a rule to start.</p> : null}
          {formError ? <ErrorBox title="Fix these before saving" message={formError} /> : null}
          {save.error ? <ErrorBox title="Not saved" message={describeError(save.error).message} /> : null}
        </Card>
        {rules.map((r, i) => (
          <RuleCard key={i} index={i} count={rules.length} rule={r} errors={errors[i] ?? {}} readOnly={!canEdit} onChange={(x) => update(i, x)} onMove={(d) => move(i, d)} onRemove={() => setRules(rules.filter((_, j) => j !== i))} />
        ))}
        <Card title="As JSON (what `gatehouse policies apply` takes)" actions={<CopyButton text={JSON.stringify(policy, null, 2)} label="Copy JSON" />}>
          <pre className="max-h-72 overflow-auto rounded bg-slate-50 p-3 font-mono text-xs text-slate-700">{JSON.stringify(policy, null, 2)}</pre>
        </Card>
      </div>
      <div>
        <Card title="Try a statement">
          <form
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              const p = validated();
              if (p) attempt.mutate({ policy: p, text: trial.text, identity: trial.identity, groups: trial.groups.split(",").map((g) => g.trim()).filter(Boolean) });
            }}
          >
            <Field label="SQL" name="try-sql" hint="Judged against the rules above, saved or not.">
              <TextArea name="try-sql" rows={4} value={trial.text} onChange={(e) => setTrial({ ...trial, text: e.target.value })} placeholder="drop table orders" />
            </Field>
            <div className="grid grid-cols-2 gap-2">
              <Field label="As identity" name="try-identity">
                <TextInput name="try-identity" value={trial.identity} onChange={(e) => setTrial({ ...trial, identity: e.target.value })} />
              </Field>
              <Field label="In groups" name="try-groups">
                <TextInput name="try-groups" value={trial.groups} onChange={(e) => setTrial({ ...trial, groups: e.target.value })} placeholder="analysts" />
              </Field>
            </div>
            <Button type="submit" disabled={!trial.text || attempt.isPending}>
              Try it
            </Button>
          </form>
          {attempt.error ? <ErrorBox message={describeError(attempt.error).message} /> : null}
          {attempt.data ? (
            <div role="status" aria-label="Verdict" className="mt-4 space-y-3">
              <p className="text-sm">
                <Badge tone={TONE[attempt.data.verdict]}>{attempt.data.verdict}</Badge> <span className="text-slate-700">{attempt.data.explanation}</span>
              </p>
              {attempt.data.parsed
                ? attempt.data.statements.map((s, i) => (
                    <div key={i} className="rounded-md border border-slate-200 p-2.5 text-xs">
                      <code className="block break-words font-mono text-slate-800">{s.text}</code>
                      <p className="mt-1 text-slate-600">
                        {s.kind} · {s.classes.join(", ")}
                        {s.tables.length ? ` · tables ${s.tables.join(", ")}` : ""}
                        {s.functions.length ? ` · functions ${s.functions.join(", ")}` : ""}
                      </p>
                      <p className="mt-1">
                        <Badge tone={TONE[s.action]}>{s.action}</Badge> <span className="text-slate-600">{s.reason}</span>
                      </p>
                    </div>
                  ))
                : null}
            </div>
          ) : null}
        </Card>
      </div>
    </div>
  );
}
