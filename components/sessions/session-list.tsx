"use client";
import Link from "next/link";
import { useInfiniteQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ChoiceFilter, FilterForm, TextFilter, useUrlFilters, utcFromInput } from "../ui/filters";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { countActivity } from "../../core/sessions/activity-noun";

export type SessionFilters = { identity?: string; connection?: string; status?: "active" | "closed" | "failed"; from?: string; to?: string; [k: string]: string | undefined };

const STATUS_TONE = { active: "blue", closed: "slate", failed: "red" } as const;

export function duration(start: Date, end: Date | null, now: Date): string {
  const ms = (end ?? now).getTime() - start.getTime();
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** Sessions with filters kept in the address bar; refreshes every 2 s so new and ending sessions show without a reload. */
export function SessionList({ initial, psqlLine }: { initial: SessionFilters; psqlLine: string }) {
  const trpc = useTRPC();
  const { filters, field, apply, clear, filtered } = useUrlFilters<SessionFilters>(initial);
  const input = {
    identity: filters.identity || undefined,
    connection: filters.connection || undefined,
    status: filters.status || undefined,
    from: utcFromInput(filters.from),
    to: utcFromInput(filters.to),
  };
  const query = useInfiniteQuery({
    ...trpc.sessions.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor }),
    refetchInterval: 2000,
  });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const now = query.data?.pages[0]?.now ?? new Date();
  return (
    <div className="space-y-4">
      <FilterForm label="Filter sessions" submitLabel="Filter" filtered={filtered} onSubmit={apply} onClear={clear}>
        <TextFilter label="Identity" name="f-identity" placeholder="starts with…" bind={field("identity")} />
        <TextFilter label="Connection" name="f-connection" bind={field("connection")} />
        <ChoiceFilter label="Status" name="f-status" options={["active", "closed", "failed"]} bind={field("status")} />
        <TextFilter label="From (UTC)" name="f-from" type="datetime-local" bind={field("from")} />
        <TextFilter label="To (UTC)" name="f-to" type="datetime-local" bind={field("to")} />
      </FilterForm>
      {query.isPending ? <LoadingRows /> : null}
      {query.isError ? <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.isSuccess && items.length === 0 ? (
        filtered ? (
          <EmptyState title="No session matches these filters" />
        ) : (
          <EmptyState title="No sessions yet">
            A session appears here as soon as a client connects through the gateway, for example <code className="font-mono text-xs">{psqlLine}</code>
          </EmptyState>
        )
      ) : null}
      {items.length > 0 ? (
        <Table label="Sessions">
          <THead>
            <Th>Started (UTC)</Th>
            <Th>Identity</Th>
            <Th>Connection</Th>
            <Th>Client</Th>
            <Th>Status</Th>
            <Th>Duration</Th>
            <Th>Activity</Th>
          </THead>
          <TBody>
            {items.map((s) => (
              <tr key={s.id}>
                <Td className="whitespace-nowrap tabular-nums">
                  <Link href={`/sessions/${s.id}`} className="text-brand hover:underline">
                    {formatTime(s.startedAt)}
                  </Link>
                </Td>
                <Td>{s.identityName}</Td>
                <Td>
                  {s.connectionName} <span className="text-xs text-slate-500">{s.protocol}</span>
                </Td>
                <Td className="text-xs text-slate-600">
                  {s.clientAddr ?? "?"}
                  {s.clientApp ? ` · ${s.clientApp}` : ""}
                </Td>
                <Td>
                  <Badge tone={STATUS_TONE[s.status]}>{s.status}</Badge>
                </Td>
                <Td className="whitespace-nowrap tabular-nums">{duration(s.startedAt, s.endedAt, now)}</Td>
                <Td className="whitespace-nowrap tabular-nums">{countActivity(s.protocol, s.statements, s.moreStatements)}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
      ) : null}
      {query.hasNextPage ? (
        <Button variant="secondary" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : "Load older sessions"}
        </Button>
      ) : null}
    </div>
  );
}
