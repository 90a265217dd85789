import type { HoldRequest } from "./review-coordinator";

/**
 * Tells approvers a statement waits, as a Slack-compatible incoming-webhook message (`text` plus
 * blocks; other chat tools accept the same `text`). Never includes credentials; the statement is
 * cut to 500 characters.
 */
export function reviewWebhookBody(review: { id: string; link: string; req: HoldRequest }): Record<string, unknown> {
  const { ctx, statement, reason, approverGroups } = review.req;
  const text = `Gatehouse: ${ctx.identityName} wants to run a ${review.req.summary.kind} on ${ctx.connectionName}. Approve or reject: ${review.link}`;
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${ctx.identityName}* wants to run a *${review.req.summary.kind}* on *${ctx.connectionName}*` } },
      { type: "section", text: { type: "mrkdwn", text: "```" + statement.slice(0, 500).replace(/```/g, "'''") + "```" } },
      { type: "context", elements: [{ type: "mrkdwn", text: `${reason}${approverGroups.length ? ` · approvers: ${approverGroups.join(", ")}` : ""}` }] },
      { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Review in Gatehouse" }, url: review.link }] },
    ],
    gatehouse: { reviewId: review.id, connection: ctx.connectionName, identity: ctx.identityName, kind: review.req.summary.kind, link: review.link },
  };
}

export function createReviewWebhook(url: string): (review: { id: string; link: string; req: HoldRequest }) => Promise<void> {
  return async (review) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(reviewWebhookBody(review)),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`the webhook answered ${res.status}`);
  };
}
