"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { KEY_LIFETIMES } from "../../server/agents/names";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Select } from "../ui/field";
import { ErrorBox } from "../ui/page";
import { KeyDialog, type IssuedKey, type PsqlHints } from "./key-dialog";

export function LifetimeSelect({ value, onChange, label = "Key lifetime" }: { value: number; onChange: (seconds: number) => void; label?: string }) {
  const name = label.toLowerCase().replace(/\s+/g, "-");
  return (
    <Field label={label} name={name}>
      <Select name={name} value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {KEY_LIFETIMES.map((l) => (
          <option key={l.seconds} value={l.seconds}>
            {l.label}
          </option>
        ))}
      </Select>
    </Field>
  );
}

/** Issues one more key for an existing identity and shows it once. */
export function IssueKey({ identity, disabled, hints }: { identity: string; disabled: boolean; hints: PsqlHints }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [ttl, setTtl] = useState(86_400);
  const [issued, setIssued] = useState<IssuedKey | null>(null);
  const issue = useMutation(
    trpc.agents.issueKey.mutationOptions({
      onSuccess: (data) => {
        setIssued(data);
        void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
      },
    }),
  );
  return (
    <div className="space-y-3">
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          issue.mutate({ identity, groups: [], ttlSeconds: ttl || undefined });
        }}
      >
        <div className="w-48">
          <LifetimeSelect value={ttl} onChange={setTtl} />
        </div>
        <Button type="submit" disabled={issue.isPending || disabled}>
          {issue.isPending ? "Issuing…" : "Issue key"}
        </Button>
      </form>
      {disabled ? <p className="text-sm text-slate-500">This identity is disabled; a key for it would be refused.</p> : null}
      {issue.error ? <ErrorBox title="No key issued" message={describeError(issue.error).message} /> : null}
      <KeyDialog issued={issued} identity={identity} hints={hints} onClose={() => (setIssued(null), issue.reset())} />
    </div>
  );
}
