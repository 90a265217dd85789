"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { CopyButton } from "../ui/copy-button";
import { Field, Select, TextInput } from "../ui/field";
import { ErrorBox } from "../ui/page";

const LIFETIMES = [
  ["1 hour", 3600],
  ["24 hours", 86400],
  ["7 days", 7 * 86400],
  ["30 days", 30 * 86400],
  ["never expires", 0],
] as const;

export type PsqlHints = { host: string; port: string };

/** Issues a key for a new or existing agent and shows it exactly once, with the line to use it. */
export function IssueKey({ identity, hints, onIssued }: { identity?: string; hints: PsqlHints; onIssued?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(identity ?? "");
  const [groups, setGroups] = useState("");
  const [ttl, setTtl] = useState(86400);
  const issue = useMutation(
    trpc.agents.issueKey.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
        onIssued?.();
      },
    }),
  );
  const failure = issue.error ? describeError(issue.error) : undefined;
  if (issue.data) {
    const key = issue.data.key;
    return (
      <div role="region" aria-label="New key" className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-4">
        <p className="text-sm font-medium text-amber-900">Copy this key now: Gatehouse stores only its hash, and you will not see it again.</p>
        <div className="flex flex-wrap items-center gap-2">
          <code data-testid="new-key" className="break-all rounded bg-white px-2 py-1 font-mono text-sm ring-1 ring-amber-200">
            {key}
          </code>
          <CopyButton text={key} label="Copy key" />
        </div>
        <p className="text-xs text-amber-900">
          {issue.data.expiresAt ? `Valid until ${new Date(issue.data.expiresAt).toISOString().replace("T", " ").slice(0, 16)} UTC. ` : "It does not expire; revoke it when it is no longer needed. "}
          Use it as the password, with the connection's name as the database:
        </p>
        <pre className="overflow-x-auto rounded bg-white px-2 py-1.5 font-mono text-xs ring-1 ring-amber-200">{`PGPASSWORD=<the key> psql "host=${hints.host} port=${hints.port} dbname=<connection> user=${name} sslmode=require"`}</pre>
        <Button size="sm" variant="secondary" onClick={() => issue.reset()}>
          Done
        </Button>
      </div>
    );
  }
  return (
    <form
      className="grid gap-3 md:grid-cols-4 md:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const list = groups.split(",").map((g) => g.trim()).filter(Boolean);
        issue.mutate({ identity: name, groups: list, ttlSeconds: ttl || undefined });
      }}
    >
      {identity ? null : (
        <Field label="Agent name" name="agent-name" error={failure?.fields.identity}>
          <TextInput name="agent-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="agent-7" required />
        </Field>
      )}
      <Field label={identity ? "Also add to groups" : "Groups"} name="agent-groups" hint="Comma-separated; created if new." error={failure?.fields.groups}>
        <TextInput name="agent-groups" value={groups} onChange={(e) => setGroups(e.target.value)} placeholder="analysts" />
      </Field>
      <Field label="Key lifetime" name="key-lifetime">
        <Select name="key-lifetime" value={ttl} onChange={(e) => setTtl(Number(e.target.value))}>
          {LIFETIMES.map(([label, s]) => (
            <option key={s} value={s}>
              {label}
            </option>
          ))}
        </Select>
      </Field>
      <div>
        <Button type="submit" disabled={issue.isPending || !name}>
          {issue.isPending ? "Issuing…" : identity ? "Issue key" : "Create agent and issue key"}
        </Button>
      </div>
      {failure && Object.keys(failure.fields).length === 0 ? (
        <div className="md:col-span-4">
          <ErrorBox title="No key issued" message={failure.message} />
        </div>
      ) : null}
    </form>
  );
}
