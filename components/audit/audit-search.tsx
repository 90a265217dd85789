"use client";
import { usePathname, useRouter } from "next/navigation";
import { Fragment, useState } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button, buttonClass } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

export type AuditFilters = { q?: string; identity?: string; connection?: string; action?: string; outcome?: "ok" | "error" | "denied"; session?: string; from?: string; to?: string };

const OUTCOME_TONE = { ok: "green", denied: "amber", error: "red" } as const;
const clean = (f: AuditFilters) => Object.fromEntries(Object.entries(f).filter(([, v]) => v)) as AuditFilters;

/** Search the audit log; filters live in the address bar and apply to the exports too. */
export function AuditSearch({ initial }: { initial: AuditFilters }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const [draft, setDraft] = useState<AuditFilters>(initial);
  const [filters, setFilters] = useState<AuditFilters>(clean(initial));
  const [open, setOpen] = useState<number | null>(null);
  const { from, to, ...rest } = filters;
  const query = useInfiniteQuery({
    ...trpc.audit.search.infiniteQueryOptions(
      { ...rest, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined, limit: 50 },
      { getNextPageParam: (last) => last.nextCursor },
    ),
    refetchInterval: 5000,
  });
  const qs = new URLSearchParams(Object.entries(filters).map(([k, v]) => [k, k === "from" || k === "to" ? new Date(v as string).toISOString() : (v as string)]));
  const apply = (next: AuditFilters) => {
    const c = clean(next);
    setFilters(c);
    const p = new URLSearchParams(c as Record<string, string>);
    router.replace(`${pathname}${p.size ? `?${p}` : ""}`, { scroll: false });
  };
  const text = (k: keyof AuditFilters, label: string, placeholder?: string) => (
    <Field label={label} name={`a-${k}`}>
      <TextInput name={`a-${k}`} value={draft[k] ?? ""} placeholder={placeholder} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
    </Field>
  );
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Object.keys(filters).length > 0;
  return (
    <div className="space-y-4">
      <form
        aria-label="Search the audit log"
        className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        {text("q", "Statement or message contains", "drop table")}
        {text("identity", "Identity")}
        {text("connection", "Connection")}
        {text("action", "Action", "statement, console.connection.update…")}
        <Field label="Outcome" name="a-outcome">
          <Select name="a-outcome" value={draft.outcome ?? ""} onChange={(e) => setDraft({ ...draft, outcome: (e.target.value || undefined) as AuditFilters["outcome"] })}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="denied">denied</option>
            <option value="error">error</option>
          </Select>
        </Field>
        <Field label="From" name="a-from">
          <TextInput name="a-from" type="datetime-local" value={draft.from ?? ""} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </Field>
        <Field label="To" name="a-to">
          <TextInput name="a-to" type="datetime-local" value={draft.to ?? ""} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </Field>
        <div className="flex items-end gap-2">
          <Button type="submit">Search</Button>
          {filtered ? (
            <Button variant="ghost" onClick={() => (setDraft({}), apply({}))}>
              Clear
            </Button>
          ) : null}
        </div>
      </form>
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
                <tr className="cursor-pointer hover:bg-slate-50" onClick={() => setOpen(open === e.id ? null : e.id)} aria-expanded={open === e.id}>
                  <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(e.at)}</Td>
                  <Td>{e.identityName ?? "—"}</Td>
                  <Td>{e.connectionName ?? "—"}</Td>
                  <Td className="whitespace-nowrap text-xs text-slate-600">{e.statementKind ?? e.action}</Td>
                  <Td className="max-w-md">
                    <code className="line-clamp-2 break-words font-mono text-xs">{e.statement ?? e.message ?? ""}</code>
                  </Td>
                  <Td className="whitespace-nowrap">
                    <Badge tone={OUTCOME_TONE[e.outcome]}>
                      {e.outcome}
                      {e.sqlstate ? ` · ${e.sqlstate}` : ""}
                    </Badge>
                  </Td>
                </tr>
                {open === e.id ? (
                  <tr>
                    <Td colSpan={6} className="bg-slate-50">
                      <pre className="overflow-x-auto whitespace-pre-wrap break-words font-mono text-xs text-slate-700">
                        {JSON.stringify({ id: e.id, action: e.action, session: e.sessionId, client: e.clientAddr, groups: e.groups, durationMs: e.durationMs, rows: e.rows, statement: e.statement, message: e.message, details: e.details }, null, 2)}
                      </pre>
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
