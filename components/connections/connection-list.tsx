"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button, buttonClass } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

export function ConnectionList({ cli }: { cli: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.connections.list.queryOptions());
  const [deleting, setDeleting] = useState<{ id: string; name: string; live: number } | null>(null);
  const remove = useMutation(
    trpc.connections.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void queryClient.invalidateQueries({ queryKey: trpc.connections.pathKey() });
      },
    }),
  );
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  if (query.data.length === 0) {
    return (
      <EmptyState
        title="No connections yet"
        action={
          <Link href="/connections/new" className={buttonClass()}>
            Add your first connection
          </Link>
        }
      >
        A connection is a database Gatehouse guards: agents reach it through the gateway, never with its real password. From a shell:{" "}
        <code className="font-mono text-xs">{cli} connections add pg-prod --type postgres --url postgres://user:password@host:5432/db</code>
      </EmptyState>
    );
  }
  return (
    <>
      <Table label="Connections">
        <THead>
          <Th>Name</Th>
          <Th>Target</Th>
          <Th>Who may use it</Th>
          <Th>Live sessions</Th>
          <Th>Updated (UTC)</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </THead>
        <TBody>
          {query.data.map((c) => (
            <tr key={c.id}>
              <Td>
                <Link href={`/connections/${c.id}`} className="font-medium text-brand hover:underline">
                  {c.name}
                </Link>
                <div className="text-xs text-slate-500">{c.type}</div>
              </Td>
              <Td className="font-mono text-xs">
                {String(c.settings.user)}@{String(c.settings.host)}:{String(c.settings.port)}/{String(c.settings.database)}
                <div className="font-sans text-slate-500">TLS {String(c.settings.sslmode)}</div>
              </Td>
              <Td>{c.groups.length ? c.groups.map((g) => <Badge key={g}>{g}</Badge>) : <span className="text-sm text-slate-500">nobody yet (grant it on Access)</span>}</Td>
              <Td className="tabular-nums">{c.activeSessions}</Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(c.updatedAt)}</Td>
              <Td className="whitespace-nowrap text-right">
                <Button size="sm" variant="ghost" onClick={() => setDeleting({ id: c.id, name: c.name, live: c.activeSessions })}>
                  Delete…
                </Button>
              </Td>
            </tr>
          ))}
        </TBody>
      </Table>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.name ?? ""}?`}
        confirmWord={deleting?.name ?? ""}
        actionLabel="Delete connection"
        pending={remove.isPending}
        error={remove.error ? describeError(remove.error).message : undefined}
        onClose={() => (setDeleting(null), remove.reset())}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id, confirmName: deleting.name })}
      >
        Its grants and guardrail policy are deleted with it
        {deleting?.live ? `, and its ${deleting.live} live session(s) end now` : ""}. Audit records stay.
      </ConfirmDialog>
    </>
  );
}
