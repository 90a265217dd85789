"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Badge, Card, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { IssueKey, type PsqlHints } from "./issue-key";

export function AgentDetail({ id, hints }: { id: string; hints: PsqlHints }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.agents.get.queryOptions({ id }));
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
  const revoke = useMutation(trpc.agents.revokeKey.mutationOptions({ onSuccess: refresh }));
  const revokeAll = useMutation(trpc.agents.revokeAll.mutationOptions({ onSuccess: () => (setConfirmAll(false), refresh()) }));
  const [confirmAll, setConfirmAll] = useState(false);
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const a = query.data;
  const now = new Date(a.now);
  const state = (k: (typeof a.keys)[number]) =>
    k.revokedAt ? <Badge tone="slate">revoked</Badge> : k.expiresAt && new Date(k.expiresAt) <= now ? <Badge tone="slate">expired</Badge> : <Badge tone="green">live</Badge>;
  const failure = revoke.error ?? revokeAll.error;
  return (
    <div className="space-y-5">
      <p className="text-sm text-slate-600">
        {a.kind} · {a.source} · groups: {a.groups.length ? a.groups.join(", ") : "none"}
      </p>
      <Card title="Issue a key">
        <IssueKey identity={a.name} hints={hints} />
      </Card>
      <Card
        title="Keys"
        actions={
          a.keys.some((k) => !k.revokedAt) ? (
            <Button size="sm" variant="danger" onClick={() => setConfirmAll(true)}>
              Revoke all keys…
            </Button>
          ) : null
        }
      >
        {failure ? <ErrorBox title="Not revoked" message={describeError(failure).message} /> : null}
        {a.keys.length === 0 ? (
          <EmptyState title="No keys">Issue one above; it is shown once.</EmptyState>
        ) : (
          <Table label="Keys">
            <THead>
              <Th>Key</Th>
              <Th>State</Th>
              <Th>Created (UTC)</Th>
              <Th>Expires (UTC)</Th>
              <Th>Last use (UTC)</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </THead>
            <TBody>
              {a.keys.map((k) => (
                <tr key={k.id}>
                  <Td className="font-mono text-xs">{k.prefix}…</Td>
                  <Td>{state(k)}</Td>
                  <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(k.createdAt)}</Td>
                  <Td className="whitespace-nowrap tabular-nums text-slate-500">{k.expiresAt ? formatTime(k.expiresAt) : "never"}</Td>
                  <Td className="whitespace-nowrap tabular-nums text-slate-500">{k.lastUsedAt ? formatTime(k.lastUsedAt) : "never"}</Td>
                  <Td className="text-right">
                    {!k.revokedAt ? (
                      <Button size="sm" variant="secondary" aria-label={`Revoke key ${k.prefix}`} onClick={() => revoke.mutate({ keyId: k.id })}>
                        Revoke
                      </Button>
                    ) : null}
                  </Td>
                </tr>
              ))}
            </TBody>
          </Table>
        )}
      </Card>
      <ConfirmDialog
        open={confirmAll}
        title={`Revoke every key of ${a.name}?`}
        confirmWord={a.name}
        actionLabel="Revoke all keys"
        pending={revokeAll.isPending}
        error={revokeAll.error ? describeError(revokeAll.error).message : undefined}
        onClose={() => setConfirmAll(false)}
        onConfirm={() => revokeAll.mutate({ identity: a.name })}
      >
        Its live sessions end on every gateway instance, and it cannot sign in again until it gets a new key.
      </ConfirmDialog>
    </div>
  );
}
