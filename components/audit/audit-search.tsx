"use client";
import { Fragment, useState } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button, buttonClass } from "../ui/button";
import { ChoiceFilter, FilterForm, TextFilter, useUrlFilters, utcFromInput } from "../ui/filters";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { AuditEventDetails } from "./audit-event-details";
import { OutcomeBadge } from "./outcome-badge";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

export type AuditFilters = {
  q?: string;
  identity?: string;
  connection?: string;
  action?: string;
  outcome?: "ok" | "error" | "denied";
  session?: string;
  from?: string;
  to?: string;
  [k: string]: string | undefined;
};

/** The export link's query: the applied filters, with times as the UTC instants the search used. */
function exportQuery(filters: AuditFilters): URLSearchParams {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) {
    const value = k === "from" || k === "to" ? utcFromInput(v)?.toISOString() : v;
    if (value) qs.set(k, value);
  }
  return qs;
}

/** Search the audit log; filters live in the address bar and apply to the exports too. */
export function AuditSearch({ initial }: { initial: AuditFilters }) {
  const trpc = useTRPC();
  const { filters, field, apply, clear, filtered } = useUrlFilters<AuditFilters>(initial);
  const [open, setOpen] = useState<number | null>(null);
  const { from, to, ...rest } = filters;
  const query = useInfiniteQuery({
    ...trpc.audit.search.infiniteQueryOptions({ ...rest, from: utcFromInput(from), to: utcFromInput(to), limit: 50 }, { getNextPageParam: (last) => last.nextCursor }),
    // New events show up while the person looks at the newest page; once they page back, the
    // list holds still (and does not re-read every loaded page every few seconds).
    refetchInterval: (q) => ((q.state.data?.pages.length ?? 0) <= 1 ? 5000 : false),
  });
  const qs = exportQuery(filters);
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="space-y-4">
      <FilterForm label="Search the audit log" submitLabel="Search" filtered={filtered} onSubmit={apply} onClear={clear}>
        <TextFilter label="Statement or message contains" name="a-q" placeholder="drop table" bind={field("q")} />
        <TextFilter label="Identity" name="a-identity" bind={field("identity")} />
        <TextFilter label="Connection" name="a-connection" bind={field("connection")} />
        <TextFilter label="Action" name="a-action" placeholder="statement, console.connection.update…" bind={field("action")} />
        <ChoiceFilter label="Outcome" name="a-outcome" options={["ok", "denied", "error"]} bind={field("outcome")} />
        <TextFilter label="From (UTC)" name="a-from" type="datetime-local" bind={field("from")} />
        <TextFilter label="To (UTC)" name="a-to" type="datetime-local" bind={field("to")} />
      </FilterForm>
      <div className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
        <span>Export {filtered ? "what these filters match" : "everything"}:</span>
        <a className={buttonClass("secondary", "sm")} href={`/api/audit/export?format=csv${qs.size ? `&${qs}` : ""}`} download>
          Export CSV
        </a>
        <a className={buttonClass("secondary", "sm")} href={`/api/audit/export?format=jsonl${qs.size ? `&${qs}` : ""}`} download>
          Export JSON Lines
        </a>
        {filters.session ? <Badge tone="blue">session {filters.session.slice(0, 8)}…</Badge> : null}
      </div>
      {query.isPending ? <LoadingRows /> : null}
      {query.isError ? <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.isSuccess && items.length === 0 ? (
        <EmptyState title={filtered ? "Nothing matches these filters" : "The audit log is empty"}>
          {filtered ? "Widen the time range or clear a filter." : "Every statement through the gateway, every refusal and every console change is recorded here."}
        </EmptyState>
      ) : null}
      {items.length > 0 ? (
        <Table label="Audit events">
          <THead>
            <Th>Time (UTC)</Th>
            <Th>Identity</Th>
            <Th>Connection</Th>
            <Th>Action</Th>
            <Th>Statement or message</Th>
            <Th>Outcome</Th>
          </THead>
          <TBody>
            {items.map((e) => (
              <Fragment key={e.id}>
                <tr className="cursor-pointer hover:bg-slate-50" onClick={() => setOpen(open === e.id ? null : e.id)}>
                  <Td className="whitespace-nowrap tabular-nums text-slate-500">
                    {/* The time is the row's toggle, so the details open from the keyboard too. */}
                    <button
                      type="button"
                      className="text-left hover:underline"
                      aria-expanded={open === e.id}
                      aria-controls={`audit-event-${e.id}`}
                      aria-label={`Details of event ${e.id} at ${formatTime(e.at)}`}
                      onClick={(ev) => (ev.stopPropagation(), setOpen(open === e.id ? null : e.id))}
                    >
                      {formatTime(e.at)}
                    </button>
                  </Td>
                  <Td>{e.identityName ?? "—"}</Td>
                  <Td>{e.connectionName ?? "—"}</Td>
                  <Td className="whitespace-nowrap text-xs text-slate-600">{e.statementKind ?? e.action}</Td>
                  <Td className="max-w-md">
                    <code title={e.statement ?? e.message ?? undefined} className="line-clamp-2 break-words font-mono text-xs">
                      {e.statement ?? e.message ?? ""}
                    </code>
                  </Td>
                  <Td className="whitespace-nowrap">
                    <OutcomeBadge outcome={e.outcome} sqlstate={e.sqlstate} />
                  </Td>
                </tr>
                {open === e.id ? (
                  <tr id={`audit-event-${e.id}`}>
                    <Td colSpan={6} className="bg-slate-50">
                      <AuditEventDetails e={e} />
                    </Td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </TBody>
        </Table>
      ) : null}
      {query.hasNextPage ? (
        <Button variant="secondary" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : "Load older events"}
        </Button>
      ) : null}
    </div>
  );
}
