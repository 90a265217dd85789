import { z } from "zod";
import { and, eq } from "drizzle-orm";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { reviews } from "../../../drizzle/schema/index";
import { auditedCall, toolError, toolResult, type CallerContext, type ToolOutcome } from "./tool-call";

/** The longest one `review_wait` waits (MCP clients commonly give up on a call after about 60 s). */
export const MAX_WAIT_SECONDS = 50;

const reviewId = z.string().uuid().describe("the reviewId a pending_approval result gave");

/** `review_status` and `review_wait`: the caller's own reviews only (another identity's review reads as unknown). */
export function registerReviewTools(server: McpServer, c: CallerContext): void {
  server.registerTool(
    "review_status",
    {
      description: "The state of a review that holds one of your calls: pending, approved, rejected, expired or cancelled, who decided and why.",
      inputSchema: { reviewId },
      annotations: { readOnlyHint: true },
    },
    (args) =>
      auditedCall(c, "review_status", args, async () => {
        const row = await ownReview(c, args.reviewId);
        if (!row) return unknownReview(args.reviewId);
        const here = c.held.get(args.reviewId, c.identity.name);
        const status = {
          reviewId: row.id,
          status: row.status,
          connection: row.connectionName,
          statement: row.statement,
          reason: row.reason,
          approvals: row.approvals.length,
          requiredApprovals: row.requiredApprovals,
          ...(row.decidedBy ? { decidedBy: row.decidedBy } : {}),
          ...(row.decisionReason ? { decisionReason: row.decisionReason } : {}),
          expiresAt: row.expiresAt.toISOString(),
          resultAvailableHere: !!here,
        };
        return { result: toolResult(status), outcome: "ok", message: `review ${row.id}: ${row.status}`, connection: row.connectionName, details: { reviewId: row.id } };
      }),
  );

  server.registerTool(
    "review_wait",
    {
      description: `Waits (at most ${MAX_WAIT_SECONDS} s per call) for a held call's review and returns the call's result once approved and run; "still pending" otherwise (call again). A rejection or a timeout is a tool error with the reason.`,
      inputSchema: { reviewId, waitSeconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).optional().describe(`how long to wait, ${MAX_WAIT_SECONDS} s by default`) },
    },
    (args, extra) =>
      auditedCall(c, "review_wait", args, async (): Promise<ToolOutcome> => {
        const call = c.held.get(args.reviewId, c.identity.name);
        if (!call) {
          const row = await ownReview(c, args.reviewId);
          if (!row) return unknownReview(args.reviewId);
          if (row.requestFingerprint) return waitForResend(c, row.id, (args.waitSeconds ?? MAX_WAIT_SECONDS) * 1000, extra.signal);
          return waitElsewhere(c, row, (args.waitSeconds ?? MAX_WAIT_SECONDS) * 1000, extra.signal);
        }
        const outcome = await c.held.wait(call, (args.waitSeconds ?? MAX_WAIT_SECONDS) * 1000, extra.signal);
        const details = { reviewId: call.reviewId, heldTool: call.tool };
        if (outcome) return { ...outcome, connection: call.connection, details: { ...outcome.details, ...details } };
        const pending = { status: "pending_approval", reviewId: call.reviewId, link: call.link, next: "Still waiting for an approver: call review_wait again." };
        return { result: toolResult(pending), outcome: "ok", message: `review ${call.reviewId} still pending`, connection: call.connection, details: { ...details, pending: true } };
      }),
  );
}

/**
 * A review of an `http_request` or `kubernetes_request` answered 202: nothing waits for it in the gateway (the request runs
 * when sent again), so this waits for the decision itself and says what to do next.
 */
async function waitForResend(c: CallerContext, id: string, ms: number, signal?: AbortSignal): Promise<ToolOutcome> {
  const until = Date.now() + ms;
  let row = await ownReview(c, id);
  while (row?.status === "pending" && Date.now() < until && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, 500));
    row = await ownReview(c, id);
  }
  if (!row) return unknownReview(id);
  const tool =
    row.protocol === "kubernetes"
      ? "kubernetes_request"
      : row.protocol === "mysql"
        ? "query"
        : row.protocol === "mcp"
          ? `the tool (${row.summary.kind}) on /mcp/${row.connectionName}`
          : "http_request";
  const details = { reviewId: row.id, heldTool: tool };
  if (row.status === "pending") {
    const pending = { status: "pending_approval", reviewId: row.id, next: "Still waiting for an approver: call review_wait again." };
    return { result: toolResult(pending), outcome: "ok", message: `review ${row.id} still pending`, connection: row.connectionName, details: { ...details, pending: true } };
  }
  if (row.status === "approved") {
    const approved = { status: "approved", reviewId: row.id, decidedBy: row.decidedBy, next: `Call ${tool} again with exactly the same arguments within 15 minutes: it runs then, once.` };
    return { result: toolResult(approved), outcome: "ok", message: `review ${row.id} approved`, connection: row.connectionName, details };
  }
  const why =
    row.status === "rejected"
      ? `rejected by ${row.decidedBy ?? "an approver"}: ${row.decisionReason ?? "no reason given"}`
      : row.status === "expired"
        ? "nobody approved it in time"
        : "the review was cancelled";
  const message = `Gatehouse did not run this request: ${why}`;
  return { result: toolError(message), outcome: "denied", message, connection: row.connectionName, details };
}

/**
 * A held call that waits in another instance (another worker, or another host behind the same
 * address): its outcome is handed over through the database once that instance stored it. Until
 * then the review's state is reported; a call whose instance stopped before it finished is lost.
 */
async function waitElsewhere(c: CallerContext, review: ReviewRow, ms: number, signal?: AbortSignal): Promise<ToolOutcome> {
  const until = Date.now() + ms;
  const here = c.deps.config.instance;
  let stored = await c.held.stored(review.id, c.identity.name);
  while (stored && !stored.outcome && !stored.holderGone && Date.now() < until && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, 250));
    stored = await c.held.stored(review.id, c.identity.name);
  }
  if (stored?.outcome) {
    const details = { reviewId: review.id, heldTool: stored.tool, heldBy: stored.instance };
    return { ...stored.outcome, connection: stored.connection, details: { ...stored.outcome.details, ...details } };
  }
  if (stored && !stored.holderGone) {
    const row = (await ownReview(c, review.id)) ?? review;
    const waiting =
      row.status === "pending"
        ? "Still waiting for an approver: call review_wait again."
        : `The review is ${row.status}; the call is finishing in gateway instance ${stored.instance}: call review_wait again.`;
    const pending = { status: row.status === "pending" ? "pending_approval" : row.status, reviewId: row.id, heldBy: stored.instance, next: waiting };
    return {
      result: toolResult(pending),
      outcome: "ok",
      message: `review ${row.id} ${row.status}, call waiting in ${stored.instance}`,
      connection: row.connectionName,
      details: { reviewId: row.id, heldTool: stored.tool, heldBy: stored.instance, pending: true },
    };
  }
  const by = stored?.instance ?? review.gatewayInstance;
  const why = stored?.holderGone
    ? `gateway instance ${by}, where it waited, stopped before it finished`
    : by === here
      ? "this gateway instance was restarted since, or its result was collected long ago"
      : `it was taken by gateway instance ${by}, which kept no result for other instances`;
  const message = `review ${review.id} is ${review.status}, but the call it held cannot be returned: ${why}. Make the call again if it is still needed.`;
  return { result: toolError(message), outcome: "error", message, connection: review.connectionName, details: { reviewId: review.id } };
}

type ReviewRow = NonNullable<Awaited<ReturnType<typeof ownReview>>>;

async function ownReview(c: CallerContext, id: string) {
  const [row] = await c.deps.db
    .select()
    .from(reviews)
    .where(and(eq(reviews.id, id), eq(reviews.identityName, c.identity.name)));
  return row;
}

function unknownReview(id: string): ToolOutcome {
  const message = `no review ${id} holds a call of yours`;
  return { result: toolError(message), outcome: "error", message };
}
