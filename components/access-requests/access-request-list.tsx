"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

const hours = (s: number) => (s >= 86400 ? `${s / 86400} d` : s >= 3600 ? `${s / 3600} h` : `${Math.round(s / 60)} min`);

/** Requests with their state; approvers decide here. Refreshes every 3 s. */
export function AccessRequestList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery({ ...trpc.accessRequests.list.queryOptions(), refetchInterval: 3000 });
  const [rejecting, setRejecting] = useState<{ id: string; reason: string } | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.accessRequests.pathKey() });
  const decide = useMutation(trpc.accessRequests.decide.mutationOptions({ onSuccess: () => (setRejecting(null), refresh()) }));
  const revoke = useMutation(trpc.accessRequests.revoke.mutationOptions({ onSuccess: refresh }));
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const { items, canDecide, now } = query.data;
  const failure = decide.error ?? revoke.error;
  if (items.length === 0) return <EmptyState title="No access requests yet">Someone without access to a connection asks for it here, for a limited time.</EmptyState>;
  return (
    <div className="space-y-3">
      {failure ? <ErrorBox title="Not done" message={describeError(failure).message} /> : null}
      <Table label="Access requests">
        <THead>
          <Th>Requested (UTC)</Th>
          <Th>Identity</Th>
          <Th>Connection</Th>
          <Th>For</Th>
          <Th>Why</Th>
          <Th>State</Th>
          {canDecide ? <Th>Decision</Th> : null}
        </THead>
        <TBody>
          {items.map((r) => {
            const live = r.status === "approved" && !r.revokedAt && r.accessExpiresAt && new Date(r.accessExpiresAt) > now;
            return (
              <tr key={r.id}>
                <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(r.createdAt)}</Td>
                <Td>{r.identityName}</Td>
                <Td>{r.connectionName}</Td>
                <Td className="whitespace-nowrap">{hours(r.durationSeconds)}</Td>
                <Td className="max-w-xs">
                  <p className="break-words">{r.reason}</p>
                  <p className="text-xs text-slate-500">by {r.requestedBy}</p>
                </Td>
                <Td className="whitespace-nowrap">
                  {r.status === "pending" ? <Badge tone="amber">waiting</Badge> : null}
                  {r.status === "rejected" ? <Badge tone="red">rejected</Badge> : null}
                  {r.status === "approved" ? <Badge tone={live ? "green" : "slate"}>{r.revokedAt ? "revoked" : live ? "active" : "ended"}</Badge> : null}
                  {r.accessExpiresAt && live ? <p className="text-xs text-slate-500">until {formatTime(r.accessExpiresAt)}</p> : null}
                  {r.decidedBy ? (
                    <p className="text-xs text-slate-500">
                      by {r.decidedBy}
                      {r.decisionReason ? `: ${r.decisionReason}` : ""}
                    </p>
                  ) : null}
                </Td>
                {canDecide ? (
                  <Td className="whitespace-nowrap">
                    {r.status === "pending" && rejecting?.id !== r.id ? (
                      <div className="flex gap-1.5">
                        <Button size="sm" onClick={() => decide.mutate({ id: r.id, decision: "approve" })} disabled={decide.isPending}>
                          Approve
                        </Button>
                        <Button size="sm" variant="secondary" onClick={() => setRejecting({ id: r.id, reason: "" })}>
                          Reject…
                        </Button>
                      </div>
                    ) : null}
                    {rejecting?.id === r.id ? (
                      <form
                        className="flex gap-1.5"
                        onSubmit={(e) => {
                          e.preventDefault();
                          decide.mutate({ id: r.id, decision: "reject", reason: rejecting.reason });
                        }}
                      >
                        <input
                          aria-label="Reason for rejecting"
                          className="w-40 rounded-md px-2 py-1 text-xs ring-1 ring-slate-300"
                          value={rejecting.reason}
                          onChange={(e) => setRejecting({ id: r.id, reason: e.target.value })}
                          placeholder="Reason"
                          required
                        />
                        <Button size="sm" variant="danger" type="submit">
                          Reject
                        </Button>
                      </form>
                    ) : null}
                    {live ? (
                      <Button size="sm" variant="secondary" onClick={() => revoke.mutate({ id: r.id })} disabled={revoke.isPending}>
                        Revoke now
                      </Button>
                    ) : null}
                  </Td>
                ) : null}
              </tr>
            );
          })}
        </TBody>
      </Table>
    </div>
  );
}
