"use client";
import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { splitGroups } from "../../server/agents/names";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ErrorBox } from "../ui/page";
import { GroupPicker } from "./group-picker";
import { LifetimeSelect } from "./issue-key";
import { KeyDialog, type IssuedKey, type PsqlHints } from "./key-dialog";

/** Creates an agent in some groups and, usually, its first key in the same step. */
export function NewAgentForm({ knownGroups, hints }: { knownGroups: string[]; hints: PsqlHints }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [groups, setGroups] = useState("");
  const [withKey, setWithKey] = useState(true);
  const [ttl, setTtl] = useState(86_400);
  const [issued, setIssued] = useState<{ identity: string; key: IssuedKey } | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
  const create = useMutation(trpc.agents.create.mutationOptions({ onSuccess: refresh }));
  const issue = useMutation(trpc.agents.issueKey.mutationOptions({ onSuccess: refresh }));
  const failure = create.error ? describeError(create.error) : issue.error ? describeError(issue.error) : undefined;
  const fieldNames = ["name", "groups", "identity"];
  const pending = create.isPending || issue.isPending;

  const submit = async () => {
    issue.reset();
    const agent = await create.mutateAsync({ name: name.trim(), groups: splitGroups(groups) }).catch(() => undefined);
    if (!agent) return;
    if (!withKey) return router.push(`/agents/${agent.id}`);
    const key = await issue.mutateAsync({ identity: agent.name, groups: [], ttlSeconds: ttl || undefined }).catch(() => undefined);
    if (!key) return;
    setIssued({ identity: agent.name, key });
    setName("");
    setGroups("");
  };

  return (
    <>
      <form
        className="grid gap-4 md:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Agent name" name="agent-name" hint="How it appears in sessions and the audit log; the psql user name." error={failure?.fields.name ?? failure?.fields.identity}>
          <TextInput
            name="agent-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="agent-7"
            required
            autoComplete="off"
            invalid={!!(failure?.fields.name ?? failure?.fields.identity)}
          />
        </Field>
        <GroupPicker name="agent-groups" label="Groups" value={groups} onChange={setGroups} known={knownGroups} error={failure?.fields.groups} />
        <div className="flex flex-wrap items-end gap-4 md:col-span-2">
          <label className="flex items-center gap-2 pb-2 text-sm text-slate-700">
            <input type="checkbox" checked={withKey} onChange={(e) => setWithKey(e.target.checked)} className="size-4 accent-brand" />
            Issue a key now
          </label>
          {withKey ? (
            <div className="w-48">
              <LifetimeSelect value={ttl} onChange={setTtl} />
            </div>
          ) : null}
          <Button type="submit" disabled={pending || !name.trim()}>
            {pending ? "Creating…" : withKey ? "Create agent and issue key" : "Create agent"}
          </Button>
        </div>
        {failure && !fieldNames.some((f) => failure.fields[f]) ? (
          <div className="md:col-span-2">
            <ErrorBox title={create.error ? "Agent not created" : "Agent created, but no key issued"} message={failure.message} />
          </div>
        ) : null}
      </form>
      <KeyDialog issued={issued?.key ?? null} identity={issued?.identity ?? ""} hints={hints} onClose={() => (setIssued(null), issue.reset())} />
    </>
  );
}
