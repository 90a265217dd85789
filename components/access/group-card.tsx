"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Select } from "../ui/field";
import { Badge, ErrorBox } from "../ui/page";

type Group = { id: string; name: string; members: { name: string; kind: string }[]; connectionIds: string[] };
type Options = { connections: { id: string; name: string; type: string }[]; identities: { name: string; kind: string }[] };

/** One group: who is in it, and which connections its members may use. */
export function GroupCard({ group, options }: { group: Group; options: Options }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.access.pathKey() });
  const membership = useMutation(trpc.access.setMembership.mutationOptions({ onSuccess: refresh }));
  const grant = useMutation(trpc.access.setGrant.mutationOptions({ onSettled: () => (setPendingGrant({}), refresh()) }));
  const remove = useMutation(trpc.access.deleteGroup.mutationOptions({ onSuccess: refresh }));
  const [adding, setAdding] = useState("");
  const [confirming, setConfirming] = useState(false);
  // The box shows the click at once; the server's answer (or error) follows.
  const [pendingGrant, setPendingGrant] = useState<Record<string, boolean>>({});
  const candidates = options.identities.filter((i) => !group.members.some((m) => m.name === i.name));
  const failure = membership.error ?? grant.error;
  return (
    <section aria-label={`Group ${group.name}`} className="rounded-lg border border-slate-200 bg-white">
      <div className="flex items-center justify-between border-b border-slate-100 px-4 py-3">
        <h2 className="font-semibold text-slate-800">{group.name}</h2>
        <Button size="sm" variant="ghost" onClick={() => setConfirming(true)}>
          Delete group…
        </Button>
      </div>
      <div className="grid gap-5 p-4 md:grid-cols-2">
        <div>
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Members</h3>
          {group.members.length === 0 ? <p className="mt-2 text-sm text-slate-500">Nobody yet.</p> : null}
          <ul className="mt-2 space-y-1">
            {group.members.map((m) => (
              <li key={m.name} className="flex items-center justify-between text-sm">
                <span>
                  {m.name} <span className="text-xs text-slate-500">{m.kind}</span>
                </span>
                <Button size="sm" variant="ghost" aria-label={`Remove ${m.name} from ${group.name}`} onClick={() => membership.mutate({ groupId: group.id, identityName: m.name, member: false })}>
                  Remove
                </Button>
              </li>
            ))}
          </ul>
          <form
            className="mt-3 flex gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              if (adding) membership.mutate({ groupId: group.id, identityName: adding, member: true }, { onSuccess: () => setAdding("") });
            }}
          >
            <Select aria-label={`Identity to add to ${group.name}`} name={`add-${group.id}`} value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">{candidates.length ? "Add an identity…" : "No other identities"}</option>
              {candidates.map((i) => (
                <option key={i.name} value={i.name}>
                  {i.name} ({i.kind})
                </option>
              ))}
            </Select>
            <Button size="sm" type="submit" disabled={!adding}>
              Add
            </Button>
          </form>
        </div>
        <div>
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">May use</h3>
          {options.connections.length === 0 ? <p className="mt-2 text-sm text-slate-500">No connections exist yet.</p> : null}
          <ul className="mt-2 space-y-1.5">
            {options.connections.map((c) => {
              const on = pendingGrant[c.id] ?? group.connectionIds.includes(c.id);
              return (
                <li key={c.id}>
                  <label className="flex items-center gap-2 text-sm">
                    <input type="checkbox" checked={on} onChange={() => (setPendingGrant({ ...pendingGrant, [c.id]: !on }), grant.mutate({ groupId: group.id, connectionId: c.id, granted: !on }))} aria-label={`${group.name} may use ${c.name}`} />
                    {c.name} <Badge>{c.type}</Badge>
                  </label>
                </li>
              );
            })}
          </ul>
        </div>
      </div>
      {failure ? (
        <div className="px-4 pb-4">
          <ErrorBox title="Not changed" message={describeError(failure).message} />
        </div>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title={`Delete group ${group.name}?`}
        confirmWord={group.name}
        actionLabel="Delete group"
        pending={remove.isPending}
        error={remove.error ? describeError(remove.error).message : undefined}
        onClose={() => setConfirming(false)}
        onConfirm={() => remove.mutate({ id: group.id })}
      >
        Its members lose the access it gave them for new sessions. Identities and connections stay.
      </ConfirmDialog>
    </section>
  );
}
