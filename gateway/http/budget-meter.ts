import { Transform, type TransformCallback } from "node:stream";
import type { BudgetOverrun, SessionBudget } from "../pipeline/budgets";
import type { HeldCommand } from "../pipeline/hold";

/**
 * A session's data budgets as the HTTP proxies (APIs and Kubernetes) count them: response body
 * bytes as the client is sent them (after masking); a row limit does not bind HTTP. Before a
 * request goes upstream, a spent budget refuses it or holds it for an approver; past the budget in
 * the middle of a body, the rest is held (the upstream paused) or the body is cut off.
 */
export class ResponseMeter {
  private why = "";
  private warning: string | null = null;
  private held: HeldCommand | null = null;
  /** The request being answered ("GET /v1/customers"), for the hold and the audit. */
  request = "";

  constructor(
    private readonly budget: SessionBudget,
    private readonly hooks: { hold: (o: BudgetOverrun, request: string) => HeldCommand; audit: (o: BudgetOverrun, request: string) => void },
  ) {}

  /** Before the request is sent on: true to send it, false when a spent budget refuses it, a promise while an approver decides. */
  admit(): boolean | Promise<boolean> {
    const state = this.budget.check();
    if (state === "warn") this.warning = this.budget.warning();
    return state === "over" ? this.decide() : true;
  }

  /** Bytes about to go to the client: as `admit`, for them. */
  pass(bytes: number): boolean | Promise<boolean> {
    const state = this.budget.take(0, bytes);
    // Crossed in the middle of a body: the next response's headers carry it.
    if (state === "warn") this.warning = this.budget.warning();
    if (state !== "over") return true;
    const decided = this.decide();
    if (typeof decided === "boolean") return decided;
    // Approved: the extension must cover these bytes too.
    return decided.then((ok) => ok && (this.budget.take(0, bytes) !== "over" || ((this.why = this.budget.overrun().message), false)));
  }

  /** The warning to send with the next response's headers (once per window and session). */
  takeWarning(): string | null {
    const w = this.warning;
    this.warning = null;
    return w;
  }

  /** Why the last refusal happened (the budget's sentence, with the approver's reason). */
  refusal(): string {
    return this.why;
  }

  private decide(): boolean | Promise<boolean> {
    const overrun = this.budget.overrun();
    this.hooks.audit(overrun, this.request);
    this.why = overrun.message;
    if (overrun.onExceed === "refuse") return false;
    const held = (this.held = this.hooks.hold(overrun, this.request));
    return held
      .start(() => {})
      .then(
        (o) => {
          this.held = null;
          if (!o.approved) this.why = `${overrun.message}: ${o.message}`;
          return o.approved;
        },
        () => ((this.held = null), false),
      );
  }

  /** The session ended (the client went away, a kill): nobody waits for a review of its budget any more. */
  cancel(why: string): void {
    this.held?.cancel(why);
  }
}

/** The error a response stream ends with when a budget refuses the rest of it (the client sees the body cut off). */
export class BudgetCutError extends Error {}

/** Counts each chunk against the budget before it goes on; holds the stream while an approver decides (backpressure pauses the upstream). */
export class MeteredBody extends Transform {
  constructor(private readonly meter: ResponseMeter) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const passed = this.meter.pass(chunk.length);
    if (passed === true) return done(null, chunk);
    if (passed === false) return done(new BudgetCutError(this.meter.refusal()));
    void passed.then((ok) => (ok ? done(null, chunk) : done(new BudgetCutError(this.meter.refusal()))));
  }
}
