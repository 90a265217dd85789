"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextArea } from "../ui/field";
import { Card, ErrorBox, LoadingRows } from "../ui/page";
import { formatTime } from "../ui/table";
import { ReviewStatus, timeLeft } from "./review-status";

/** One held statement: who, what, where, what it would touch, and the decision buttons. Live while it waits. */
export function ReviewDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery({ ...trpc.reviews.get.queryOptions({ id }), refetchInterval: (q) => (q.state.data?.review.status === "pending" ? 2000 : false) });
  const [reason, setReason] = useState("");
  const decide = useMutation(
    trpc.reviews.decide.mutationOptions({
      onSuccess: () => {
        setReason("");
        void queryClient.invalidateQueries({ queryKey: trpc.reviews.pathKey() });
      },
    }),
  );
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const { review: r, now } = query.data;
  const failure = decide.error ? describeError(decide.error) : undefined;
  const estimate = r.blastRadius;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <ReviewStatus status={r.status} />
        {r.status === "pending" ? (
          <span className="text-sm text-slate-600">
            {r.approvals.length} of {r.requiredApprovals} approval(s) · {timeLeft(r.expiresAt, now, query.dataUpdatedAt)}
          </span>
        ) : (
          <span className="text-sm text-slate-600">
            {r.decidedBy ? `by ${r.decidedBy}` : ""} {r.decidedAt ? `at ${formatTime(r.decidedAt)} UTC` : ""}
            {r.decisionReason ? ` — ${r.decisionReason}` : ""}
          </span>
        )}
      </div>
      <Card title="Statement">
        <pre className="overflow-x-auto whitespace-pre-wrap break-words rounded-md bg-slate-900 px-4 py-3 font-mono text-sm text-slate-100">{r.statement}</pre>
        <dl className="mt-4 grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
          <Fact label="Requested by" value={`${r.identityName}${r.groups.length ? ` (${r.groups.join(", ")})` : ""}`} />
          <Fact label="Connection" value={`${r.connectionName} (${r.protocol})`} />
          <Fact label="Kind" value={`${r.summary.kind} · ${r.summary.classes.join(", ")}`} />
          <Fact label="Tables" value={r.summary.tables.join(", ") || "—"} />
          <Fact label="Functions" value={r.summary.functions.join(", ") || "—"} />
          {r.summary.locks !== undefined ? <Fact label="Table lock" value={r.summary.locks ?? "none"} /> : null}
          <Fact label="Why it is held" value={r.reason} />
          <Fact label="Who may approve" value={r.approverGroups.length ? `members of ${r.approverGroups.join(", ")}` : "any approver"} />
          <Fact label="From" value={`${r.clientAddr ?? "?"} · held on ${r.gatewayInstance} at ${formatTime(r.createdAt)} UTC`} />
        </dl>
      </Card>
      <Card title={r.summary.kind === "data budget" ? "What approving does" : "Blast radius"}>
        {estimate?.estimatedRows !== undefined ? (
          <p className="text-sm">
            {estimate.counted ? (
              <>
                It would touch <strong className="tabular-nums">{estimate.estimatedRows.toLocaleString("en")}</strong> row(s).{" "}
              </>
            ) : estimate.upperBound !== undefined ? (
              <>
                It would touch at most <strong className="tabular-nums">{estimate.upperBound.toLocaleString("en")}</strong> row(s); the planner, without statistics, guesses{" "}
                {estimate.estimatedRows.toLocaleString("en")}.{" "}
              </>
            ) : (
              <>
                The planner estimates it would touch about <strong className="tabular-nums">{estimate.estimatedRows.toLocaleString("en")}</strong> row(s).{" "}
              </>
            )}
            <span className="text-slate-500">{estimate.note ? `${estimate.note}.` : "An estimate from EXPLAIN, without running it."}</span>
          </p>
        ) : (
          <p className="text-sm text-slate-500">{estimate?.note ?? (r.status === "pending" ? "Estimating…" : "No estimate.")}</p>
        )}
        {estimate?.plan ? <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-2 font-mono text-xs text-slate-600">{estimate.plan}</pre> : null}
      </Card>
      {r.approvals.length ? <p className="text-sm text-slate-600">Approved so far by {r.approvals.map((a) => a.by).join(", ")}.</p> : null}
      {r.status === "pending" ? (
        <Card title="Your decision">
          <form
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
              decide.mutate({ id: r.id, decision: submitter?.value === "reject" ? "reject" : "approve", reason: reason || undefined });
            }}
          >
            <Field label="Reason" name="reason" hint="Required to reject: the requester sees it in their error message." error={failure?.fields.reason}>
              <TextArea name="reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} invalid={Boolean(failure?.fields.reason)} />
            </Field>
            {failure && !failure.fields.reason ? <ErrorBox title="Not decided" message={failure.message} /> : null}
            <div className="flex gap-2">
              <Button type="submit" value="approve" disabled={decide.isPending}>
                Approve
              </Button>
              <Button type="submit" value="reject" variant="danger" disabled={decide.isPending}>
                Reject
              </Button>
            </div>
          </form>
        </Card>
      ) : null}
      <Link href="/reviews" className="inline-block text-sm text-brand hover:underline">
        ← All reviews
      </Link>
    </div>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="break-words text-slate-800">{value}</dd>
    </div>
  );
}
