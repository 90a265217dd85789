"use client";
import { useEffect, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import type { Policy } from "../../core/policy/policy";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextArea, TextInput } from "../ui/field";
import { Badge, Card, ErrorBox } from "../ui/page";

const TONE = { allow: "green", deny: "red", review: "amber" } as const;
const VERDICT = { allow: "allowed", deny: "refused", review: "held for approval" } as const;

/** How the try box reads its text, as the connection's listener does: SQL (Postgres or MySQL), shell commands, HTTP or Kubernetes requests. */
export type TryMode = "sql" | "mysql" | "command" | "request" | "kubernetes" | "mcp";
/** Whether rules on this mode's connections judge SQL statements (tables, classes, functions). */
export const judgesSql = (mode: TryMode): boolean => mode === "sql" || mode === "mysql";

/**
 * Judges a text against the rules as they are in the form (saved or not), on the server with the
 * gateway's parser and guard. `onInvalid` receives field errors when the rules themselves are invalid.
 */
export function TryStatementBox({ policy, mode = "sql", onInvalid }: { policy: Policy; mode?: TryMode; onInvalid: (fields: Record<string, string>) => void }) {
  const commands = !judgesSql(mode);
  const requests = mode === "request";
  const kube = mode === "kubernetes";
  const tools = mode === "mcp";
  const trpc = useTRPC();
  const [trial, setTrial] = useState({ text: "", identity: "agent-7", groups: "" });
  const attempt = useMutation(trpc.guardrails.try.mutationOptions({ onSuccess: () => onInvalid({}), onError: (err) => onInvalid(describeError(err).fields) }));
  // A verdict on other rules would mislead: clear it when the rules change.
  const shape = JSON.stringify(policy);
  const { reset } = attempt;
  useEffect(() => reset(), [shape, reset]);
  const result = attempt.data;

  return (
    <Card title={tools ? "Try a tool call" : requests || kube ? "Try a request" : commands ? "Try a command" : "Try a statement"}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          attempt.mutate({
            policy,
            text: trial.text,
            identity: trial.identity,
            groups: trial.groups
              .split(",")
              .map((g) => g.trim())
              .filter(Boolean),
            mode,
          });
        }}
      >
        <Field
          label={
            tools
              ? "Tool calls, one a line: the tool's name, then its arguments as JSON"
              : kube
                ? "Requests, one a line: a kubectl command (kubectl -n prod delete deployment web) or METHOD /api/..."
                : requests
                  ? "Requests, one a line: METHOD /path?query, then an optional JSON body"
                  : commands
                    ? "Commands, one a line"
                    : "SQL"
          }
          name="try-sql"
          hint={`Judged against the rules on this page, saved or not${mode === "mysql" ? ", as the MySQL listener reads it" : ""}; nothing runs.`}
        >
          <TextArea
            name="try-sql"
            rows={4}
            value={trial.text}
            onChange={(e) => setTrial({ ...trial, text: e.target.value })}
            placeholder={
              tools
                ? 'write_file {"path": "/etc/passwd"}'
                : kube
                  ? "kubectl delete ns prod\nkubectl -n prod exec web -- sh"
                  : requests
                    ? 'DELETE /v1/customers/42\nPOST /v1/refunds {"mode":"force"}'
                    : commands
                      ? "sudo rm -rf /var/data"
                      : mode === "mysql"
                        ? "/*!40000 DROP TABLE orders */"
                        : "drop table orders"
            }
          />
        </Field>
        <div className="grid grid-cols-2 gap-2">
          <Field label="As identity" name="try-identity">
            <TextInput name="try-identity" value={trial.identity} onChange={(e) => setTrial({ ...trial, identity: e.target.value })} />
          </Field>
          <Field label="In groups" name="try-groups" hint="Comma-separated; empty: none.">
            <TextInput name="try-groups" value={trial.groups} onChange={(e) => setTrial({ ...trial, groups: e.target.value })} placeholder="analysts" />
          </Field>
        </div>
        <Button type="submit" disabled={!trial.text.trim() || !trial.identity.trim() || attempt.isPending}>
          {attempt.isPending ? "Trying…" : "Try it"}
        </Button>
      </form>
      {attempt.error ? (
        <div className="mt-4">
          <ErrorBox title="Cannot try it yet" message={describeError(attempt.error).message} />
        </div>
      ) : null}
      {result ? (
        <div role="status" aria-label="Verdict" className="mt-4 space-y-3">
          <p className="text-sm">
            <Badge tone={TONE[result.verdict]}>{result.parsed ? result.verdict : "refused (fail closed)"}</Badge>{" "}
            <span className="font-medium text-slate-800">{result.parsed ? `The whole text is ${VERDICT[result.verdict]}:` : "The parser cannot read this text:"}</span>{" "}
            <span className="break-words text-slate-700">{result.parsed ? result.explanation : result.error}</span>
          </p>
          {result.parsed ? (
            <ol aria-label="Statements" className="space-y-2">
              {result.statements.map((s, i) => (
                <li key={i} className="rounded-md border border-slate-200 p-2.5 text-xs">
                  <code className="block break-words font-mono text-slate-800">{s.text}</code>
                  <dl className="mt-1.5 grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-slate-600">
                    <dt className="text-slate-500">kind</dt>
                    <dd className="break-words font-medium text-slate-800">{s.kind}</dd>
                    {commands ? null : (
                      <>
                        <dt className="text-slate-500">classes</dt>
                        <dd>{s.classes.join(", ")}</dd>
                        <dt className="text-slate-500">tables</dt>
                        <dd className="break-words">{s.tables.join(", ") || "—"}</dd>
                        <dt className="text-slate-500">functions</dt>
                        <dd className="break-words">{s.functions.join(", ") || "—"}</dd>
                        {mode === "mysql" ? null : (
                          <>
                            <dt className="text-slate-500">locks</dt>
                            <dd>{s.locks ?? "no table lock"}</dd>
                          </>
                        )}
                      </>
                    )}
                    <dt className="text-slate-500">decided by</dt>
                    <dd>{s.position ? `rule ${s.position}, ${s.rule}` : "the default"}</dd>
                  </dl>
                  <p className="mt-1.5">
                    <Badge tone={TONE[s.action]}>{s.action}</Badge> <span className="text-slate-600">{s.reason}</span>
                  </p>
                  {s.note ? <p className="mt-1 text-amber-800">Not judged here: {s.note}.</p> : null}
                </li>
              ))}
            </ol>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}
