import type { HeldCommand, HoldNotice } from "../../pipeline/hold";
import type { AcceptedDecision } from "../../pipeline/accepted-reviews";
import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import type { ReviewNeeded } from "./statement-guard";

/** What becomes of a statement a rule holds: it runs (`approval`: approved earlier, for the audit), or it is refused with this error. */
export type HeldOutcome = { run: true; approval?: string } | { run: false; error: MysqlError };

/**
 * A statement a rule holds for review. By default the client waits silently (MySQL has no message
 * mid-query; the link goes to the console and the webhook) until the decision; a client that asked
 * for it (gatehouse_prefer=respond-async) is answered at once and runs the same text once when it
 * sends it again after approval. `track` gets the hold while the client waits (a KILL QUERY withdraws it).
 */
export async function decideHeld(
  hooks: { requestReview: (need: ReviewNeeded, text: string) => HeldCommand; answerHeldAtOnce?: (need: ReviewNeeded, text: string) => Promise<AcceptedDecision> },
  need: ReviewNeeded,
  text: string,
  track: (held: HeldCommand | null) => void,
): Promise<HeldOutcome> {
  const kind = need.command.kind;
  if (hooks.answerHeldAtOnce) {
    const d = await hooks.answerHeldAtOnce(need, text);
    if (d.kind === "run") return { run: true, approval: d.message };
    const message = d.kind === "pending" ? `Gatehouse is holding this ${kind} statement for approval: ${d.link} (${d.message})` : d.message;
    return { run: false, error: new MysqlError(Err.TableAccessDenied, message) };
  }
  const held = hooks.requestReview(need, text);
  track(held);
  let notice: HoldNotice | undefined;
  const outcome = await held.start((n) => (notice = n));
  track(null);
  if (outcome.approved) return { run: true };
  const where = notice ? ` (review: ${notice.link})` : "";
  const error = outcome.withdrawn
    ? new MysqlError(Err.QueryInterrupted, "Query execution was interrupted")
    : new MysqlError(Err.TableAccessDenied, `Gatehouse did not run this ${kind} statement: ${outcome.message}${where}`);
  return { run: false, error };
}
