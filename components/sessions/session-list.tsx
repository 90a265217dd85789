"use client";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

export type SessionFilters = { identity?: string; connection?: string; status?: "active" | "closed" | "failed"; from?: string; to?: string };

const STATUS_TONE = { active: "blue", closed: "slate", failed: "red" } as const;

export function duration(start: Date, end: Date | null, now: Date): string {
  const ms = (end ?? now).getTime() - start.getTime();
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** Sessions with filters kept in the address bar; refreshes every 3 s so new and ending sessions show without a reload. */
export function SessionList({ initial, psqlLine }: { initial: SessionFilters; psqlLine: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const [draft, setDraft] = useState<SessionFilters>(initial);
  const [filters, setFilters] = useState<SessionFilters>(initial);
  const input = {
    identity: filters.identity || undefined, connection: filters.connection || undefined, status: filters.status || undefined,
    from: filters.from ? new Date(filters.from) : undefined, to: filters.to ? new Date(filters.to) : undefined,
  };
  const query = useInfiniteQuery({
    ...trpc.sessions.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor }),
    refetchInterval: 3000,
  });
  const apply = (next: SessionFilters) => {
    setFilters(next);
    const qs = new URLSearchParams(Object.entries(next).filter(([, v]) => v) as [string, string][]);
    router.replace(`${pathname}${qs.size ? `?${qs}` : ""}`, { scroll: false });
  };
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const now = query.data?.pages[0]?.now ?? new Date();
  const filtered = Object.values(filters).some(Boolean);
  return (
    <div className="space-y-4">
      <form
        aria-label="Filter sessions"
        className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-6 lg:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <Field label="Identity" name="f-identity">
          <TextInput name="f-identity" value={draft.identity ?? ""} onChange={(e) => setDraft({ ...draft, identity: e.target.value })} placeholder="starts with…" />
        </Field>
        <Field label="Connection" name="f-connection">
          <TextInput name="f-connection" value={draft.connection ?? ""} onChange={(e) => setDraft({ ...draft, connection: e.target.value })} />
        </Field>
        <Field label="Status" name="f-status">
          <Select name="f-status" value={draft.status ?? ""} onChange={(e) => setDraft({ ...draft, status: (e.target.value || undefined) as SessionFilters["status"] })}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="closed">closed</option>
            <option value="failed">failed</option>
          </Select>
        </Field>
        <Field label="From" name="f-from">
          <TextInput name="f-from" type="datetime-local" value={draft.from ?? ""} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </Field>
        <Field label="To" name="f-to">
          <TextInput name="f-to" type="datetime-local" value={draft.to ?? ""} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </Field>
        <div className="flex gap-2">
          <Button type="submit">Filter</Button>
          {filtered ? (
            <Button variant="ghost" onClick={() => (setDraft({}), apply({}))}>
              Clear
            </Button>
          ) : null}
        </div>
      </form>
      {query.isPending ? <LoadingRows /> : null}
      {query.isError ? <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.isSuccess && items.length === 0 ? (
        filtered ? (
          <EmptyState title="No session matches these filters" />
        ) : (
          <EmptyState title="No sessions yet">
            A session appears here as soon as a client connects through the gateway, for example{" "}
            <code className="font-mono text-xs">{psqlLine}</code>
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
            <Th>Statements</Th>
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
                <Td className="tabular-nums">{s.statements}</Td>
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
