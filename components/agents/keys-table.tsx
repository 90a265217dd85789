"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Badge, EmptyState, ErrorBox } from "../ui/page";
import { ModalDialog } from "../ui/modal-dialog";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

type KeyRow = { id: string; prefix: string; createdAt: Date | string; expiresAt: Date | string | null; revokedAt: Date | string | null; lastUsedAt: Date | string | null };

function KeyState({ k, now }: { k: KeyRow; now: Date }) {
  if (k.revokedAt) return <Badge tone="slate">revoked</Badge>;
  if (k.expiresAt && new Date(k.expiresAt) <= now) return <Badge tone="slate">expired</Badge>;
  return <Badge tone="green">live</Badge>;
}

/** The identity's keys, newest first, each revocable on its own after a confirmation. */
export function KeysTable({ name, keys, now }: { name: string; keys: KeyRow[]; now: Date }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<KeyRow | null>(null);
  const revoke = useMutation(
    trpc.agents.revokeKey.mutationOptions({
      onSuccess: () => {
        setTarget(null);
        void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
      },
    }),
  );
  if (keys.length === 0) return <EmptyState title="No keys yet">Issue one above; it is shown once.</EmptyState>;
  return (
    <>
      <Table label={`Keys of ${name}`}>
        <THead>
          <Th>Key</Th>
          <Th>State</Th>
          <Th>Created (UTC)</Th>
          <Th>Expires (UTC)</Th>
          <Th>Last use (UTC)</Th>
          <Th>Revoked (UTC)</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </THead>
        <TBody>
          {keys.map((k) => (
            <tr key={k.id}>
              <Td className="whitespace-nowrap font-mono text-xs">{k.prefix}…</Td>
              <Td>
                <KeyState k={k} now={now} />
              </Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(k.createdAt)}</Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{k.expiresAt ? formatTime(k.expiresAt) : "never"}</Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{k.lastUsedAt ? formatTime(k.lastUsedAt) : "never"}</Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{k.revokedAt ? formatTime(k.revokedAt) : "—"}</Td>
              <Td className="text-right">
                {!k.revokedAt ? (
                  <Button size="sm" variant="secondary" aria-label={`Revoke key ${k.prefix}`} onClick={() => (revoke.reset(), setTarget(k))}>
                    Revoke
                  </Button>
                ) : null}
              </Td>
            </tr>
          ))}
        </TBody>
      </Table>
      <ModalDialog open={!!target} title={`Revoke key ${target?.prefix ?? ""}…?`} onClose={() => setTarget(null)}>
        <p className="text-sm text-slate-600">{name} can no longer connect with this key, and the sessions opened with it end now, on every gateway instance. Its other keys keep working.</p>
        {revoke.error ? <ErrorBox title="Not revoked" message={describeError(revoke.error).message} /> : null}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setTarget(null)}>
            Cancel
          </Button>
          <Button variant="danger" disabled={revoke.isPending} onClick={() => target && revoke.mutate({ keyId: target.id })}>
            {revoke.isPending ? "Revoking…" : "Revoke key"}
          </Button>
        </div>
      </ModalDialog>
    </>
  );
}
