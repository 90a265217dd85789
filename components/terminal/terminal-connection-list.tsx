"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { buttonClass } from "../ui/button";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { formatTime } from "../ui/table";
import { UnlinkedIdentity } from "../identity/unlinked-identity";

const KIND: Record<string, string> = { postgres: "PostgreSQL: psql", ssh: "SSH: shell" };

/** The connections this person may open a terminal on, or why there are none. */
export function TerminalConnectionList({ isAdmin }: { isAdmin: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.terminal.connections.queryOptions());
  if (query.isPending) return <LoadingRows label="Loading your connections…" />;
  if (query.isError) return <ErrorBox title="Could not load your connections" message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const { person, connections } = query.data;
  if (person.kind === "unlinked") return <UnlinkedIdentity isAdmin={isAdmin} purpose="terminal" />;
  if (person.kind === "disabled") {
    return <EmptyState title={`Your gateway identity ${person.identityName} is disabled`}>It cannot open terminals until an admin enables it again.</EmptyState>;
  }
  const intro = (
    <p className="text-sm text-slate-600">
      Terminals run as <span className="font-medium text-slate-900">{person.identityName}</span>
      {person.groups.length ? <>, in {person.groups.join(", ")}</> : ", in no group"}.
    </p>
  );
  if (connections.length === 0) {
    return (
      <div className="space-y-3">
        {intro}
        <EmptyState
          title="No connections granted to you yet"
          action={
            <Link href="/access-requests" className={buttonClass()}>
              Ask for access
            </Link>
          }
        >
          A terminal opens on a Postgres or SSH connection that one of your groups is granted, or that you hold approved time-bound access to.
        </EmptyState>
      </div>
    );
  }
  return (
    <div className="space-y-3">
      {intro}
      {/* A list rather than a table: on a phone the button stays in view instead of scrolling off sideways. */}
      <ul aria-label="Connections you may open a terminal on" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {connections.map((c) => (
          <li key={c.name} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-3">
            <div className="min-w-0">
              <p className="break-all font-medium text-slate-900">{c.name}</p>
              <div className="mt-1 flex flex-wrap items-center gap-1.5 text-sm text-slate-500">
                <span className="mr-1">{KIND[c.type] ?? c.type}, through</span>
                {c.viaGroups.map((g) => (
                  <Badge key={g}>{g}</Badge>
                ))}
                {c.temporaryUntil !== null ? <Badge tone="amber">time-bound access until {formatTime(new Date(c.temporaryUntil))} UTC</Badge> : null}
              </div>
            </div>
            <Link href={`/terminal/${encodeURIComponent(c.name)}`} className={buttonClass("primary", "sm")} aria-label={`Open terminal on ${c.name}`}>
              Open terminal
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
