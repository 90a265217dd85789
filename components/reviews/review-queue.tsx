"use client";
import Link from "next/link";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { ReviewStatus, timeLeft } from "./review-status";

const TABS = [
  { id: "open", label: "Waiting" },
  { id: "decided", label: "Decided" },
] as const;

/** The approver's queue; refreshes every 2 s so a held statement shows up without a reload. */
export function ReviewQueue() {
  const trpc = useTRPC();
  const [tab, setTab] = useState<(typeof TABS)[number]["id"]>("open");
  const query = useQuery({ ...trpc.reviews.list.queryOptions({ status: tab }), refetchInterval: 2000 });
  return (
    <div className="space-y-4">
      <div role="tablist" aria-label="Reviews" className="flex gap-1 border-b border-slate-200">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            type="button"
            aria-selected={tab === t.id}
            onClick={() => setTab(t.id)}
            className={`-mb-px border-b-2 px-3 py-2 text-sm ${tab === t.id ? "border-brand font-semibold text-brand" : "border-transparent text-slate-500 hover:text-slate-800"}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      {query.isPending ? (
        <LoadingRows />
      ) : query.isError ? (
        <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />
      ) : query.data.items.length === 0 ? (
        tab === "open" ? (
          <EmptyState title="Nothing is waiting for approval">
            When a guardrail rule with the action <code className="font-mono">review</code> holds a statement, it appears here at once, and the client waits until you decide.
          </EmptyState>
        ) : (
          <EmptyState title="No decisions yet">Approved, rejected, timed-out and cancelled reviews are listed here.</EmptyState>
        )
      ) : (
        <Table label={tab === "open" ? "Statements waiting for approval" : "Decided reviews"}>
          <THead>
            <Th>Requested (UTC)</Th>
            <Th>Who</Th>
            <Th>Connection</Th>
            <Th>Statement</Th>
            <Th>Status</Th>
            <Th>
              <span className="sr-only">Open</span>
            </Th>
          </THead>
          <TBody>
            {query.data.items.map((r) => (
              <tr key={r.id}>
                <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(r.createdAt)}</Td>
                <Td>{r.identityName}</Td>
                <Td>{r.connectionName}</Td>
                <Td className="max-w-md">
                  <span className="mr-1.5 text-xs font-semibold text-slate-500">{r.summary.kind}</span>
                  <code className="line-clamp-2 break-words font-mono text-xs">{r.statement}</code>
                </Td>
                <Td className="whitespace-nowrap">
                  <ReviewStatus status={r.status} />
                  {r.status === "pending" ? (
                    <span className="ml-2 text-xs text-slate-500">
                      {r.approvals.length}/{r.requiredApprovals} · {timeLeft(r.expiresAt, query.data.now, query.dataUpdatedAt)}
                    </span>
                  ) : null}
                </Td>
                <Td>
                  <Link href={`/reviews/${r.id}`} className="text-sm font-medium text-brand hover:underline">
                    {r.status === "pending" ? "Review" : "Details"}
                  </Link>
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
      )}
    </div>
  );
}
