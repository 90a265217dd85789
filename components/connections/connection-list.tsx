"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import type { SummaryLine } from "../../core/connections/connection-type";
import type { ConnectionForm } from "../../server/connections/connection-forms";
import { describeError, useTRPC } from "../trpc/client";
import { Button, buttonClass } from "../ui/button";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { connectorAnchor } from "../connectors/connector-command";
import { DeleteConnectionDialog, type DeletingConnection } from "./delete-connection-dialog";
import { TestResultBox } from "./test-result";

/** The type's own lines about the target (core/connections/types/), as the server described them. */
function TargetSummary({ lines }: { lines: readonly SummaryLine[] }) {
  return (
    <>
      {lines.map((line, i) =>
        line.tone === "note" ? (
          <div key={i} className="whitespace-nowrap font-sans text-slate-500">
            {line.text}
          </div>
        ) : (
          <div key={i} className="whitespace-nowrap" title={line.title}>
            {line.tone === "warning" ? <span className="font-sans text-amber-700">{line.text}</span> : line.text}
          </div>
        ),
      )}
    </>
  );
}

/** `cli`: how to run the CLI here; `addExamples`: what follows `connections add` for each type. */
export function ConnectionList({ cli, addExamples }: { cli: string; addExamples: readonly string[] }) {
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
        {addExamples.map((example) => (
          <code key={example} className="mt-2 block break-words rounded bg-slate-50 px-2 py-1 text-left font-mono text-xs text-slate-700">
            {cli} connections add {example}
          </code>
        ))}
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
                <Link href={`/connections/${c.id}`} title={c.name} className="font-medium text-brand hover:underline">
                  {c.name}
                </Link>
                <div className="text-xs text-slate-500">{c.typeLabel}</div>
              </Td>
              <Td className="font-mono text-xs">
                <TargetSummary lines={c.summary} />
                {c.connector ? (
                  <div className="whitespace-nowrap font-sans text-slate-500">
                    via{" "}
                    <Link href={`/connectors#${connectorAnchor(c.connector)}`} className="font-medium text-brand hover:underline">
                      {c.connector}
                    </Link>
                  </div>
                ) : null}
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
                {c.terminal ? (
                  <Link href={`/terminal/${encodeURIComponent(c.name)}`} className={buttonClass("ghost", "sm")} aria-label={`Open terminal on ${c.name}`}>
                    Open terminal
                  </Link>
                ) : null}
                <Link href={`/connections/${c.id}`} className={buttonClass("ghost", "sm")} aria-label={`Edit ${c.name}`}>
                  Edit
                </Link>
                {c.known ? (
                  <Button size="sm" variant="ghost" aria-label={`Test ${c.name}`} disabled={test.isPending} onClick={() => testRow(c)}>
                    Test
                  </Button>
                ) : null}
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
