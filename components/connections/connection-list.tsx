"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { ConnectionForm } from "../../server/connections/connection-forms";
import { describeError, useTRPC } from "../trpc/client";
import { Button, buttonClass } from "../ui/button";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { DeleteConnectionDialog, type DeletingConnection } from "./delete-connection-dialog";
import { TestResultBox } from "./test-result";

const TYPE_LABELS: Record<string, string> = { postgres: "PostgreSQL", ssh: "SSH" };

/** An SSH row's pin state and switches; the full fingerprint is on the connection's page. */
function SshTargetSummary({ settings, hasSecret }: { settings: Record<string, string | number | boolean>; hasSecret: boolean }) {
  const pinned = typeof settings.hostKey === "string" ? settings.hostKey : undefined;
  return (
    <>
      <div className="whitespace-nowrap" title={pinned}>
        {pinned ? `host key ${pinned.slice(0, 19)}… pinned` : <span className="font-sans text-amber-700">host key not pinned yet</span>}
      </div>
      <div className="whitespace-nowrap font-sans text-slate-500">
        recording {settings.recording === false ? "off" : "on"} · forwarding {settings.allowForwarding === true ? "allowed" : "off"}
        {hasSecret ? "" : " · no credential stored"}
      </div>
    </>
  );
}

export function ConnectionList({ cli }: { cli: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.connections.list.queryOptions());
  const [deleting, setDeleting] = useState<DeletingConnection | null>(null);
  const [tested, setTested] = useState<string | null>(null);
  const test = useMutation(trpc.connections.test.mutationOptions());
  if (query.isPending) return <LoadingRows label="Loading connections…" />;
  if (query.isError) return <ErrorBox title="Could not load the connections" message={describeError(query.error).message} retry={() => void query.refetch()} />;
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
        <p>A connection is a database or SSH server Gatehouse guards: agents reach it through the gateway and never see its credential. Add one here, or from a shell:</p>
        <code className="mt-2 block break-words rounded bg-slate-50 px-2 py-1 text-left font-mono text-xs text-slate-700">
          {cli} connections add pg-prod --type postgres --url postgres://user:password@host:5432/db
        </code>
        <code className="mt-2 block break-words rounded bg-slate-50 px-2 py-1 text-left font-mono text-xs text-slate-700">
          {cli} connections add {"<name>"} --type ssh --host H --user U --private-key-file F
        </code>
      </EmptyState>
    );
  }
  const testRow = (c: (typeof query.data)[number]) => {
    // The stored settings are the form (the server checks them again); zod stays out of this page's bundle.
    setTested(c.name);
    test.mutate({ id: c.id, form: { ...c.settings, type: c.type, name: c.name } as ConnectionForm });
  };
  return (
    <div className="space-y-3">
      <div aria-live="polite">
        {tested && test.isPending ? <p className="text-sm text-slate-500">Testing {tested}…</p> : null}
        {tested && test.data ? (
          <div className="space-y-1">
            <p className="text-xs font-medium text-slate-500">Test of {tested}</p>
            <TestResultBox result={test.data} />
          </div>
        ) : null}
        {tested && test.error ? <ErrorBox title={`Could not test ${tested}`} message={describeError(test.error).message} /> : null}
      </div>
      <Table label="Connections">
        <THead>
          <Th>Name</Th>
          <Th>Target</Th>
          <Th>Groups that may use it</Th>
          <Th>Live sessions</Th>
          <Th>Created (UTC)</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </THead>
        <TBody>
          {query.data.map((c) => (
            <tr key={c.id}>
              <Td>
                <Link href={`/connections/${c.id}`} className="whitespace-nowrap font-medium text-brand hover:underline">
                  {c.name}
                </Link>
                <div className="text-xs text-slate-500">{TYPE_LABELS[c.type] ?? c.type}</div>
              </Td>
              <Td className="font-mono text-xs">
                <div className="whitespace-nowrap">
                  {String(c.settings.user)}@{String(c.settings.host)}:{String(c.settings.port)}
                </div>
                {c.type === "ssh" ? <SshTargetSummary settings={c.settings} hasSecret={c.hasSecret} /> : (
                  <>
                    <div className="whitespace-nowrap">/{String(c.settings.database)}</div>
                    <div className="whitespace-nowrap font-sans text-slate-500">
                      sslmode {String(c.settings.sslmode)}
                      {c.hasSecret ? "" : " · no password stored"}
                    </div>
                  </>
                )}
              </Td>
              <Td>
                {c.groups.length ? (
                  <div className="flex flex-wrap gap-1">
                    {c.groups.map((g) => (
                      <Badge key={g}>{g}</Badge>
                    ))}
                  </div>
                ) : (
                  <Link href="/access" className="text-sm text-slate-500 hover:underline">
                    nobody yet: grant it on Access
                  </Link>
                )}
              </Td>
              <Td className="tabular-nums">{c.activeSessions}</Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(c.createdAt)}</Td>
              <Td className="whitespace-nowrap text-right">
                {c.type === "postgres" || c.type === "ssh" ? (
                  <Link href={`/terminal/${encodeURIComponent(c.name)}`} className={buttonClass("ghost", "sm")} aria-label={`Open terminal on ${c.name}`}>
                    Open terminal
                  </Link>
                ) : null}
                <Link href={`/connections/${c.id}`} className={buttonClass("ghost", "sm")} aria-label={`Edit ${c.name}`}>
                  Edit
                </Link>
                <Button size="sm" variant="ghost" aria-label={`Test ${c.name}`} disabled={test.isPending} onClick={() => testRow(c)}>
                  Test
                </Button>
                <Button size="sm" variant="ghost" aria-label={`Delete ${c.name}`} onClick={() => setDeleting({ id: c.id, name: c.name, live: c.activeSessions })}>
                  Delete…
                </Button>
              </Td>
            </tr>
          ))}
        </TBody>
      </Table>
      <DeleteConnectionDialog target={deleting} onClose={() => setDeleting(null)} />
    </div>
  );
}
