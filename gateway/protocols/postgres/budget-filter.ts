import type { SessionBudget, BudgetOverrun } from "../../pipeline/budgets";
import type { HeldCommand, HoldNotice } from "../../pipeline/hold";
import { Backend } from "./message-codes";
import { noticeResponse } from "./backend-messages";
import { PgError } from "./pg-error";
import { SqlState } from "./message-codes";
import { holdNotice } from "./review-hold";
import type { BackendFilter } from "./guard-types";
import type { StatementTracker } from "./statement-tracker";
import type { GatewayDeps } from "../../gateway-deps";
import type { SessionScope } from "../../pipeline/session-scope";
import { auditOverrun, holdForBudget } from "../../pipeline/budget-hold";

/** What the relay is told to drop: the message reaches neither the tracker nor the client. */
export const DROPPED = Buffer.alloc(0);

export type BudgetHooks = {
  /** Holds the result for an approver (the rule says `review`). */
  hold: (overrun: BudgetOverrun, statement: string) => HeldCommand;
  /** The `budget.exceeded` audit event. */
  audit: (overrun: BudgetOverrun, statement: string) => void;
  /** Asks the target to stop the statement (a CancelRequest on its backend key). */
  cancelTarget: () => void;
  /** Writes to the client now (the hold's NOTICE). */
  tellClient: (message: Buffer) => void;
};

/**
 * Counts the rows (DataRow, COPY's CopyData) and bytes a session receives against its exfiltration
 * budgets, in front of the result masker. Near a budget the client gets a NOTICE after the row that
 * crossed its warning mark. The row that would pass it never reaches the client: the result is
 * held (the relay stops reading the target) for an approver when the rule says `review`, and
 * resumes on approval; otherwise, or on a rejection, the statement is cut off: the target is asked
 * to cancel it, every row it still sends is dropped, and where the target ends the statement
 * (CommandComplete, its cancel error, a suspended portal) the client gets the gateway's 42501
 * error instead; the rest up to ReadyForQuery is dropped, as a server skips to Sync after an error.
 * It has no `rowsPass`: every row is counted, so the relay offers each one.
 */
export class BudgetFilter implements BackendFilter {
  private cut: { error: Buffer; sent: boolean } | null = null;
  private reoffered = false;
  private held: HeldCommand | null = null;

  constructor(
    private readonly inner: BackendFilter,
    private readonly budget: SessionBudget,
    private readonly tracker: StatementTracker,
    private readonly hooks: BudgetHooks,
  ) {}

  onFrontend(type: number, buf: Buffer, start: number, end: number): Buffer | undefined | void {
    return this.inner.onFrontend(type, buf, start, end);
  }

  onBackend(type: number, buf: Buffer, start: number, end: number): Buffer | undefined | Promise<void> {
    if (this.cut) return this.whileCut(type, buf, start, end);
    const row = type === Backend.DataRow || type === Backend.CopyData;
    let warn = false;
    if (row) {
      if (this.reoffered) this.reoffered = false;
      else {
        const state = this.budget.take(1, end - start);
        if (state === "over") return this.exceeded(type, buf, start, end);
        warn = state === "warn";
      }
    }
    const out = this.inner.onBackend(type, buf, start, end);
    if (out instanceof Promise) {
      // Offered again once the masker is ready: counted already.
      if (row) this.reoffered = true;
      return out;
    }
    if (!warn) return out;
    const message = out ?? buf.subarray(start, end);
    return Buffer.concat([message, noticeResponse({ severity: "WARNING", code: "01000", message: this.budget.warning() })]);
  }

  /** The client cancelled (Ctrl-C) while the result waits for an approver: the review is withdrawn. */
  withdraw(): boolean {
    if (!this.held) return false;
    this.held.withdraw();
    return true;
  }

  /** The session ended while held: nobody waits for the review any more. */
  cancel(why: string): void {
    this.held?.cancel(why);
  }

  private statementText(): string {
    const r = this.tracker.responding();
    return r && "record" in r ? r.record.text : "";
  }

  private exceeded(type: number, buf: Buffer, start: number, end: number): Buffer | undefined | Promise<void> {
    const overrun = this.budget.overrun();
    const statement = this.statementText();
    this.hooks.audit(overrun, statement);
    const resets = `The budget is whole again at ${overrun.resetsAt.toISOString().replace(/\.\d+Z$/, "Z")}.`;
    if (overrun.onExceed === "refuse") {
      this.startCut(`Gatehouse: ${overrun.message}; the rest of this result was withheld`, `${resets} An admin can raise the budget (gatehouse budgets).`);
      return this.whileCut(type, buf, start, end);
    }
    const held = (this.held = this.hooks.hold(overrun, statement));
    const tell = (n: HoldNotice) => this.hooks.tellClient(holdNotice("result", n));
    // The relay keeps this row and everything after it until the decision, then offers them again.
    return held.start(tell).then(
      (outcome) => {
        this.held = null;
        if (!outcome.approved) this.startCut(`Gatehouse: ${overrun.message}; the rest of this result was withheld: ${outcome.message}`, resets);
      },
      (err: Error) => {
        this.held = null;
        this.startCut(`Gatehouse: ${overrun.message}; the review could not be held: ${err.message}`, resets);
      },
    );
  }

  private startCut(message: string, hint: string): void {
    const cut = (this.cut = { error: new PgError("ERROR", SqlState.InsufficientPrivilege, message, undefined, hint).toMessage(), sent: false });
    // Once what already arrived is read: a statement that ended in it needs no cancel (which could hit the next one).
    setImmediate(() => {
      if (this.cut === cut && !cut.sent) this.hooks.cancelTarget();
    });
  }

  private whileCut(type: number, buf: Buffer, start: number, end: number): Buffer | undefined | Promise<void> {
    const cut = this.cut!;
    // The masker still follows the statements (its state per result), but what it returns is dropped.
    const inner = this.inner.onBackend(type, buf, start, end);
    if (inner instanceof Promise) return inner;
    switch (type) {
      case Backend.ReadyForQuery:
        this.cut = null;
        return undefined;
      case Backend.ParameterStatus:
      case Backend.NotificationResponse:
        return inner;
      case Backend.CommandComplete:
      case Backend.ErrorResponse:
      case Backend.PortalSuspended:
      case Backend.EmptyQueryResponse:
        if (cut.sent) return DROPPED;
        cut.sent = true;
        return cut.error;
      default:
        return DROPPED;
    }
  }
}

/** The hooks of one Postgres session: the shared budget hold and audit, a cancel of the target's statement (CancelRegistry's). */
export function postgresBudgetHooks(deps: GatewayDeps, session: SessionScope, cancelTarget: () => Promise<void>, client: { writable: boolean; write: (b: Buffer) => boolean }): BudgetHooks {
  return {
    hold: (overrun, statement) => holdForBudget(deps, session.ctx, overrun, statement),
    audit: (overrun, statement) => auditOverrun(session.audit, overrun, statement),
    cancelTarget: () => void cancelTarget().catch((err: Error) => deps.log(`postgres: could not cancel a statement past its data budget: ${err.message}`)),
    tellClient: (message) => void (client.writable && client.write(message)),
  };
}
