import type { GatewayDeps } from "../../gateway-deps";
import type { SessionContext } from "../../../core/audit/audit-event";
import { holdForReview, type HoldNotice } from "../../pipeline/hold";
import { estimateBlastRadius } from "./blast-radius";
import { noticeResponse } from "./backend-messages";
import type { RequestReview } from "./statement-guard";
import type { PgTarget } from "./target-socket";

/**
 * The Postgres side of a review: the shared hold, with the planner's estimate of what a write
 * would touch (computed on the target while the review waits; never executed).
 */
export function postgresReviewer(deps: GatewayDeps, ctx: SessionContext, target: PgTarget): RequestReview {
  return (need, text) => {
    const { command } = need;
    const writes = command.classes.includes("write") || command.classes.includes("ddl");
    const statement = need.command.text;
    return holdForReview(deps, ctx, need, {
      statement: text,
      estimate: writes
        ? () =>
            estimateBlastRadius(
              { ...target, ssl: target.sslmode === "require" || target.sslmode === "verify-full" },
              { kind: command.kind, text: statement, tables: command.resources, writesWithoutWhere: command.writesWithoutWhere },
            )
        : undefined,
    });
  };
}

/** What psql prints while a statement waits: the console link, why, and what happens next. */
export function holdNotice(kind: string, n: HoldNotice): Buffer {
  return noticeResponse({
    severity: "NOTICE",
    code: "01000",
    message: `Gatehouse is holding this ${kind} for approval: ${n.link}`,
    detail: `${n.reason}. It runs as soon as an approver approves it; a rejection, or no decision within ${n.wait}, returns an error. Stay connected.`,
  });
}
