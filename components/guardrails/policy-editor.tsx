"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Policy } from "../../core/policy/policy";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { CopyButton } from "../ui/copy-button";
import { Field, Select } from "../ui/field";
import { Badge, Card, ErrorBox, LoadingRows } from "../ui/page";
import { RuleCard } from "./rule-card";
import { judgesSql, TryStatementBox, type TryMode } from "./try-statement-box";
import { emptyRule, errorsByRule, toDraft, toPolicy, type RuleDraft } from "./rule-draft";

/** What the rules judge on a connection of each type (the try box reads its text the same way): SQL of Postgres by default. */
const MODES: Record<string, TryMode> = { ssh: "command", http: "request", kubernetes: "kubernetes", mysql: "mysql", mcp: "mcp" };

/** The ordered rule list of one connection, validated with the gateway's own schema, and a box to try statements against it before saving. */
export function PolicyEditor({ name, canEdit }: { name: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.guardrails.get.queryOptions({ name }));
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  return <Editor name={name} initial={query.data.policy} unreadable={query.data.unreadable} canEdit={canEdit} mode={MODES[query.data.type] ?? "sql"} />;
}

function Editor({ name, initial, unreadable, canEdit, mode }: { name: string; initial: Policy | null; unreadable: string | null; canEdit: boolean; mode: TryMode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [defaultAction, setDefault] = useState<Policy["defaultAction"]>(initial?.defaultAction ?? "allow");
  const [rules, setRules] = useState<RuleDraft[]>(initial?.rules.map(toDraft) ?? []);
  const [errors, setErrors] = useState<Record<number, Record<string, string>>>({});
  const policy = toPolicy(defaultAction, rules);
  // The server validates with the gateway's schema (and unique names); its field errors land under each rule.
  const showErrors = (err: unknown) => setErrors(errorsByRule(describeError(err).fields).rules);
  const save = useMutation(
    trpc.guardrails.save.mutationOptions({ onError: showErrors, onSuccess: () => (setErrors({}), void queryClient.invalidateQueries({ queryKey: trpc.guardrails.pathKey() })) }),
  );
  // Any edit makes the last "saved" message stale.
  const edit = (next: RuleDraft[]) => (setRules(next), save.reset());
  const saved = initial ? toPolicy(initial.defaultAction, initial.rules.map(toDraft)) : null;
  // With no stored policy, an empty allow-all form is not a change worth flagging.
  const dirty = saved ? JSON.stringify(policy) !== JSON.stringify(saved) : rules.length > 0 || defaultAction !== "allow";

  const update = (i: number, r: RuleDraft) => edit(rules.map((x, j) => (j === i ? r : x)));
  const move = (i: number, d: -1 | 1) => {
    const next = [...rules];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    // Errors are kept by position: after a move they would point at the wrong rule.
    setErrors({});
    edit(next);
  };

  return (
    <div className="grid gap-6 xl:grid-cols-[minmax(0,1fr)_24rem]">
      <div className="space-y-4">
        <Card title="Rules, first match decides">
          <div className="flex flex-wrap items-end gap-3">
            <div className="w-64">
              <Field label="When no rule matches" name="default-action">
                <Select name="default-action" value={defaultAction} disabled={!canEdit} onChange={(e) => (setDefault(e.target.value as Policy["defaultAction"]), save.reset())}>
                  <option value="allow">allow</option>
                  <option value="deny">deny</option>
                  <option value="review">review</option>
                </Select>
              </Field>
            </div>
            {canEdit ? (
              <>
                <Button variant="secondary" onClick={() => edit([...rules, emptyRule(rules.length + 1)])}>
                  Add rule
                </Button>
                <Button disabled={save.isPending} onClick={() => save.mutate({ name, policy })}>
                  {save.isPending ? "Saving…" : "Save policy"}
                </Button>
              </>
            ) : (
              <Badge>read-only for your role</Badge>
            )}
            {save.isSuccess ? (
              <span role="status" className="text-sm text-emerald-700">
                Saved: every gateway instance reloads it within a second.
              </span>
            ) : null}
            {canEdit && dirty && !save.isSuccess ? <Badge tone="amber">unsaved changes</Badge> : null}
          </div>
          {unreadable && !save.isSuccess ? (
            <div className="mt-3">
              <ErrorBox
                title="The stored policy does not pass the gateway's schema: its sessions on this connection are refused"
                message={`${unreadable}. ${initial ? "Correct the rule below and save." : "Saving this form replaces it."}`}
              />
            </div>
          ) : null}
          {initial === null && !unreadable ? (
            <p className="mt-3 text-sm text-slate-500">
              <Badge tone="amber">no policy: everything is allowed</Badge>{" "}
              {canEdit ? "Add a rule to start; once saved, every statement is parsed and judged, and what does not parse is refused." : null}
            </p>
          ) : null}
          {save.error ? (
            <div className="mt-3">
              <ErrorBox title="Not saved: fix the fields marked below" message={describeError(save.error).message} />
            </div>
          ) : null}
        </Card>
        {rules.map((r, i) => (
          <RuleCard
            key={i}
            index={i}
            count={rules.length}
            rule={r}
            errors={errors[i] ?? {}}
            readOnly={!canEdit}
            commands={!judgesSql(mode)}
            requests={mode === "request"}
            kubernetes={mode === "kubernetes"}
            tools={mode === "mcp"}
            mysql={mode === "mysql"}
            onChange={(x) => update(i, x)}
            onMove={(d) => move(i, d)}
            onRemove={() => (setErrors({}), edit(rules.filter((_, j) => j !== i)))}
          />
        ))}
        <Card
          title={
            <>
              As JSON (what <code className="font-mono text-xs font-normal">gatehouse policies apply</code> takes)
            </>
          }
          actions={<CopyButton text={JSON.stringify(policy, null, 2)} label="Copy JSON" />}
        >
          {/* Whole, never cut at a height: it is what gets saved, read top to bottom. */}
          <pre aria-label="Policy as JSON" className="overflow-x-auto rounded bg-slate-50 p-3 font-mono text-xs text-slate-700">
            {JSON.stringify(policy, null, 2)}
          </pre>
        </Card>
      </div>
      <div>
        <TryStatementBox policy={policy} mode={mode} onInvalid={(fields) => setErrors(errorsByRule(fields).rules)} />
      </div>
    </div>
  );
}
