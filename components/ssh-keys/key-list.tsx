"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ModalDialog } from "../ui/modal-dialog";
import { EmptyState, ErrorBox } from "../ui/page";
import { formatTime } from "../ui/table";

type SshKey = { fingerprint: string; name: string; createdAt: Date | string; lastUsedAt: Date | string | null };

/** The identity's keys, newest first; each removable after a confirmation. A list, so Remove stays in view on a phone. */
export function KeyList({ owner, keys, identityId }: { owner: { name: string; isSelf: boolean }; keys: SshKey[]; identityId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<SshKey | null>(null);
  const remove = useMutation(
    trpc.sshKeys.remove.mutationOptions({
      onSuccess: () => {
        setTarget(null);
        void queryClient.invalidateQueries({ queryKey: trpc.sshKeys.pathKey() });
      },
    }),
  );
  if (keys.length === 0) {
    return (
      <EmptyState title="No SSH keys yet">
        {owner.isSelf ? "Add your public key below to use ssh without pasting a Gatehouse key." : `Add a public key below to let ${owner.name} use ssh without a Gatehouse key.`}
      </EmptyState>
    );
  }
  return (
    <>
      <ul aria-label={`SSH keys of ${owner.name}`} className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {keys.map((k) => (
          <li key={k.fingerprint} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-3">
            <div className="min-w-0 space-y-0.5">
              <p className="break-words font-medium text-slate-900">{k.name}</p>
              <p className="break-all font-mono text-xs text-slate-700" data-testid="ssh-key-fingerprint">
                {k.fingerprint}
              </p>
              <p className="text-xs tabular-nums text-slate-500">
                Added {formatTime(k.createdAt)} UTC · {k.lastUsedAt ? `last used ${formatTime(k.lastUsedAt)} UTC` : "never used"}
              </p>
            </div>
            <Button size="sm" variant="secondary" aria-label={`Remove key ${k.name}`} onClick={() => (remove.reset(), setTarget(k))}>
              Remove
            </Button>
          </li>
        ))}
      </ul>
      <ModalDialog open={!!target} title={`Remove the SSH key ${target?.name ?? ""}?`} onClose={() => setTarget(null)}>
        <p className="text-sm text-slate-600">From now on the gateway refuses this key for {owner.isSelf ? "you" : owner.name}:</p>
        <p className="break-all rounded-md bg-slate-50 px-3 py-2 font-mono text-xs text-slate-700">{target?.fingerprint}</p>
        <p className="text-sm text-slate-600">SSH sessions that logged in with it end at once, on every gateway instance. The key can be added again later.</p>
        {remove.error ? <ErrorBox title="Not removed" message={describeError(remove.error).message} /> : null}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setTarget(null)}>
            Cancel
          </Button>
          <Button variant="danger" disabled={remove.isPending} onClick={() => target && remove.mutate({ identityId, fingerprint: target.fingerprint })}>
            {remove.isPending ? "Removing…" : "Remove key"}
          </Button>
        </div>
      </ModalDialog>
    </>
  );
}
