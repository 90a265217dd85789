"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Badge, Card, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { AddBudgetForm } from "./add-budget-form";
import type { BudgetUse } from "../../core/budgets/manage-budgets";

const n = (v: number | null) => (v == null ? "—" : v.toLocaleString("en"));

function UseBar({ percent, over }: { percent: number; over: boolean }) {
  const tone = over || percent >= 100 ? "bg-rose-500" : percent >= 80 ? "bg-amber-500" : "bg-emerald-500";
  return (
    <div className="flex items-center gap-2">
      <div className="h-2 w-28 overflow-hidden rounded-full bg-slate-100" aria-hidden>
        <div className={`h-full ${tone}`} style={{ width: `${Math.min(100, percent)}%` }} />
      </div>
      <span className="tabular-nums">{percent}%</span>
    </div>
  );
}

export function BudgetsView({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery({ ...trpc.budgets.overview.queryOptions(), refetchInterval: 5000 });
  const [removing, setRemoving] = useState<string | null>(null);
  const remove = useMutation(
    trpc.budgets.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        void queryClient.invalidateQueries({ queryKey: trpc.budgets.pathKey() });
      },
    }),
  );
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const { budgets, usage } = query.data;
  const current = usage.filter((u) => u.current);
  const history = usage.filter((u) => !u.current);
  return (
    <div className="space-y-6">
      {budgets.length === 0 ? (
        <EmptyState title="No budgets yet">
          Without a budget an identity may read as much as its access allows. A budget caps the rows and bytes it receives per window, across sessions, protocols and gateways.
          {canEdit ? " Add one below." : " An admin adds them."}
        </EmptyState>
      ) : (
        <Table label="Budgets">
          <THead>
            <Th>Name</Th>
            <Th>Applies to</Th>
            <Th>Connections</Th>
            <Th>Limit</Th>
            <Th>Past it</Th>
            <Th>Warns at</Th>
            {canEdit ? <Th className="sr-only">Actions</Th> : null}
          </THead>
          <TBody>
            {budgets.map((b) => (
              <tr key={b.id}>
                <Td className="font-medium">{b.name}</Td>
                <Td>{b.subjectKind === "everyone" ? "every identity" : `${b.subjectKind} ${b.subject}`}</Td>
                <Td className="font-mono text-xs">{b.connection}</Td>
                <Td>{b.limits}</Td>
                <Td>{b.onExceed === "review" ? <Badge tone="amber">held for approval</Badge> : <Badge tone="red">cut off</Badge>}</Td>
                <Td className="tabular-nums">{b.warnPercent}%</Td>
                {canEdit ? (
                  <Td>
                    <Button variant="ghost" size="sm" onClick={() => setRemoving(b.name)}>
                      Remove
                    </Button>
                  </Td>
                ) : null}
              </tr>
            ))}
          </TBody>
        </Table>
      )}
      <Card title="Use in the current windows">
        {current.length === 0 ? <p className="text-sm text-slate-500">Nobody has used any budget in its current window.</p> : <UsageTable rows={current} label="Use in the current windows" />}
      </Card>
      {history.length ? (
        <Card title="Earlier windows (last 7 days)">
          <UsageTable rows={history} label="Earlier windows" />
        </Card>
      ) : null}
      {canEdit ? (
        <Card title="Add a budget">
          <AddBudgetForm />
        </Card>
      ) : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove budget ${removing ?? ""}?`}
        confirmWord={removing ?? ""}
        actionLabel="Remove budget"
        pending={remove.isPending}
        error={remove.error ? describeError(remove.error).message : undefined}
        onConfirm={() => removing && remove.mutate({ name: removing })}
        onClose={() => setRemoving(null)}
      >
        Identities it binds may then read without this limit, from their next session. Its use history goes with it.
      </ConfirmDialog>
    </div>
  );
}

// As tRPC hands them over (dates may come as strings from the wire as well as Dates).
type UseRow = Omit<BudgetUse, "windowStart" | "exceededAt" | "current"> & { windowStart: Date | string; exceededAt: Date | string | null };

function UsageTable({ rows, label }: { rows: UseRow[]; label: string }) {
  return (
    <Table label={label}>
      <THead>
        <Th>Identity</Th>
        <Th>Budget</Th>
        <Th>Window from (UTC)</Th>
        <Th>Rows</Th>
        <Th>Bytes</Th>
        <Th>Used</Th>
        <Th>Extended by approvers</Th>
      </THead>
      <TBody>
        {rows.map((u) => (
          <tr key={`${u.budget}-${u.identityName}-${String(u.windowStart)}`}>
            <Td className="font-medium">{u.identityName}</Td>
            <Td>{u.budget}</Td>
            <Td className="whitespace-nowrap tabular-nums">{formatTime(u.windowStart)}</Td>
            <Td className="tabular-nums">
              {n(u.rows)}
              {u.maxRows != null ? <span className="text-slate-400"> / {n(u.maxRows + u.extraRows)}</span> : null}
            </Td>
            <Td className="tabular-nums">
              {n(u.bytes)}
              {u.maxBytes != null ? <span className="text-slate-400"> / {n(u.maxBytes + u.extraBytes)}</span> : null}
            </Td>
            <Td>
              <div className="flex items-center gap-2">
                <UseBar percent={u.percent} over={!!u.exceededAt} />
                {u.exceededAt ? <Badge tone="red">exceeded {formatTime(u.exceededAt).slice(11, 16)}</Badge> : null}
              </div>
            </Td>
            <Td className="tabular-nums">{u.extraRows || u.extraBytes ? `${n(u.extraRows)} rows, ${n(u.extraBytes)} bytes` : "—"}</Td>
          </tr>
        ))}
      </TBody>
    </Table>
  );
}
