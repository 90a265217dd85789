"use client";
import Link from "next/link";
import { HttpBodies } from "./http-bodies";
import { McpCall } from "./mcp-call";
import { useState } from "react";
import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Badge, Card, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { OutcomeBadge } from "../audit/outcome-badge";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { SessionRecording } from "./session-recording";
import { duration } from "./session-list";
import { activityNoun } from "../../core/sessions/activity-noun";

const capitalise = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

const LIFECYCLE: Record<string, string> = { "session.start": "session started", "session.end": "session ended" };

/**
 * Live while active, and for a little while after it ended: the gateway's audit writer flushes in
 * batches, so the statement cut short and `session.end` can land after the status changed.
 */
function stillLive(first: { session: { status: string; endedAt: Date | string | null }; now: Date | string } | undefined): boolean {
  if (!first) return false;
  if (first.session.status === "active") return true;
  return first.session.endedAt != null && new Date(first.now).getTime() - new Date(first.session.endedAt).getTime() < 15_000;
}

/** A session's record and its statement timeline, paged by event id; live while the session is. */
export function SessionDetail({ id, canKill }: { id: string; canKill: boolean }) {
  const trpc = useTRPC();
  const query = useInfiniteQuery({
    ...trpc.sessions.get.infiniteQueryOptions({ id, limit: 200 }, { getNextPageParam: (last) => last.nextAfter }),
    refetchInterval: (q) => (stillLive(q.state.data?.pages[0]) ? 2000 : false),
  });
  const [confirming, setConfirming] = useState(false);
  const kill = useMutation(trpc.sessions.kill.mutationOptions({ onSuccess: () => (setConfirming(false), void query.refetch()) }));
  if (query.isPending) return <LoadingRows />;
  if (query.isError && query.error.data?.code === "NOT_FOUND") {
    return (
      <EmptyState
        title="No such session"
        action={
          <Link href="/sessions" className="text-brand hover:underline">
            All sessions
          </Link>
        }
      >
        The address may be cut short, or the session belongs to another Gatehouse database.
      </EmptyState>
    );
  }
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const pages = query.data.pages;
  const { session: s, now } = pages[0];
  const events = pages.flatMap((p) => p.events);
  const killButton =
    canKill && s.status === "active" ? (
      <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
        Kill session…
      </Button>
    ) : null;
  return (
    <div className="space-y-5">
      <Card title="Session" actions={killButton}>
        <dl className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-3">
          <Fact label="Status" value={<Badge tone={s.status === "active" ? "blue" : s.status === "failed" ? "red" : "slate"}>{s.status}</Badge>} />
          <Fact label="Identity" value={`${s.identityName}${s.groups.length ? ` (${s.groups.join(", ")})` : ""}`} />
          <Fact label="Connection" value={`${s.connectionName} · ${s.protocol}`} />
          <Fact label="Client" value={<ClientFact addr={s.clientAddr} app={s.clientApp} user={s.clientUser} />} />
          <Fact label="Started (UTC)" value={formatTime(s.startedAt)} />
          <Fact label="Ended (UTC)" value={s.endedAt ? formatTime(s.endedAt) : "still open"} />
          <Fact label="Duration" value={`${duration(new Date(s.startedAt), s.endedAt ? new Date(s.endedAt) : null, new Date(now))}${s.status === "active" ? " so far" : ""}`} />
          <Fact label="Gateway instance" value={s.gatewayInstance} />
          <Fact label="Bytes in / out" value={`${s.bytesIn.toLocaleString("en")} / ${s.bytesOut.toLocaleString("en")}`} />
          <Fact label="End reason" value={s.endReason ?? "—"} />
        </dl>
      </Card>
      <SessionRecording id={id} protocol={s.protocol} active={s.status === "active"} liveActions={killButton} />
      <Card title="Timeline">
        {events.length === 0 ? (
          <EmptyState title="Nothing yet">
            {s.protocol === "terminal"
              ? "The terminal's opening and end appear here; the statements it runs are in its commands above."
              : `${capitalise(activityNoun(s.protocol).many)} appear here as the client sends them.`}
          </EmptyState>
        ) : (
          <Table label="Statement timeline">
            <THead>
              <Th>Time (UTC)</Th>
              <Th>Statement</Th>
              <Th>Kind</Th>
              <Th>Duration</Th>
              <Th>Rows / bytes</Th>
              <Th>Outcome</Th>
            </THead>
            <TBody>
              {events.map((e) => (
                <tr key={e.id}>
                  <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(e.at)}</Td>
                  <Td className="max-w-xl">
                    {e.statement ? (
                      <code className="line-clamp-4 whitespace-pre-wrap break-words font-mono text-xs">{e.statement}</code>
                    ) : e.action === "mcp.tool.call" ? (
                      <McpCall details={e.details} connection={e.connectionName} />
                    ) : (
                      <span className="text-xs italic text-slate-600">{LIFECYCLE[e.action] ?? e.action}</span>
                    )}
                    {e.message ? <p className="mt-0.5 text-xs text-slate-500">{e.message}</p> : null}
                    {e.action === "request" ? <HttpBodies details={e.details} /> : null}
                  </Td>
                  <Td className="whitespace-nowrap text-xs text-slate-600">{e.statementKind ?? e.action}</Td>
                  <Td className="whitespace-nowrap tabular-nums">{e.durationMs == null ? "" : e.durationMs < 1 ? "<1 ms" : `${Math.round(e.durationMs)} ms`}</Td>
                  <Td className="whitespace-nowrap tabular-nums">{httpOf(e) ? `↑${bytes(httpOf(e)!.bytesIn)} ↓${bytes(httpOf(e)!.bytesOut)}` : (e.rows ?? "")}</Td>
                  <Td className="whitespace-nowrap">
                    <OutcomeBadge outcome={e.outcome} sqlstate={e.sqlstate ?? (httpOf(e)?.status ? `HTTP ${httpOf(e)!.status}` : null)} />
                  </Td>
                </tr>
              ))}
            </TBody>
          </Table>
        )}
        {query.hasNextPage ? (
          <div className="mt-3 flex items-center gap-3 text-sm text-slate-600">
            <Button variant="secondary" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
              {query.isFetchingNextPage ? "Loading…" : "Load more"}
            </Button>
            <span>
              {events.length.toLocaleString("en")} events shown, more follow. The{" "}
              <Link href={`/audit?session=${id}`} className="text-brand hover:underline">
                audit log
              </Link>{" "}
              exports the whole session.
            </span>
          </div>
        ) : null}
      </Card>
      <ConfirmDialog
        open={confirming}
        title="Kill this session?"
        confirmWord="kill"
        actionLabel="Kill session"
        pending={kill.isPending}
        error={kill.error ? describeError(kill.error).message : undefined}
        onClose={() => setConfirming(false)}
        onConfirm={() => kill.mutate({ id })}
      >
        The client gets a FATAL error saying an administrator ended it. What it did so far stays recorded.
      </ConfirmDialog>
    </div>
  );
}

// A psql opened in the console's browser terminal names that terminal session, which holds the recording.
const TERMINAL_APP = /^gatehouse-terminal-([0-9a-f-]{36})$/;
// A statement an MCP tool ran names the /mcp session of the client that called it.
const MCP_APP = /^gatehouse-mcp [\w-]+ ([0-9a-f-]{36})$/;

function ClientFact({ addr, app, user }: { addr: string | null; app: string | null; user: string | null }) {
  const terminal = app ? TERMINAL_APP.exec(app) : null;
  const mcp = app ? MCP_APP.exec(app) : null;
  return (
    <>
      {addr ?? "?"}
      {mcp ? (
        <>
          {" · "}
          <Link className="text-brand hover:underline" href={`/sessions/${mcp[1]}`}>
            an MCP tool call (its client&apos;s session)
          </Link>
        </>
      ) : terminal ? (
        <>
          {" · "}
          <Link className="text-brand hover:underline" href={`/sessions/${terminal[1]}`}>
            browser terminal (its recording)
          </Link>
        </>
      ) : app ? (
        ` · ${app}`
      ) : null}
      {user ? ` · user ${user}` : null}
    </>
  );
}

function Fact({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="break-words text-slate-800">{value}</dd>
    </div>
  );
}

/** An HTTP request's status and bytes each way (audit `details`), for the timeline. */
function httpOf(e: { action: string; details: unknown }): { status: number; bytesIn: number; bytesOut: number } | null {
  if (e.action !== "request" || !e.details || typeof e.details !== "object") return null;
  const d = e.details as { status?: unknown; bytesIn?: unknown; bytesOut?: unknown };
  return { status: Number(d.status ?? 0), bytesIn: Number(d.bytesIn ?? 0), bytesOut: Number(d.bytesOut ?? 0) };
}

const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`);
