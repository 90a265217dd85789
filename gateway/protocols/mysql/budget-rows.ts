import type { BudgetOverrun } from "../../pipeline/budgets";
import type { HeldCommand } from "../../pipeline/hold";
import { errPacket } from "./handshake-messages";
import { framePacket, type Packet } from "./packet-codec";
import { Err } from "./protocol-constants";
import { isRowPacket, type ResponseReader } from "./response-reader";
import type { RelayHooks } from "./relay-hooks";
import type { CommandRecord } from "./statement-audit";

/** Past a data budget: the ERR the client gets where the target ends the rows, and whether it went. */
export type BudgetCut = { err: Buffer; sent: boolean };

/** What of the command in flight the budget's handling reads and moves. */
type Answer = { record: CommandRecord | null; shift: number; silent?: boolean };

/**
 * The budget a row of the answer in flight would pass (audited as `budget.exceeded`), or null: the
 * row is counted and goes on. Only rows of a client's own command count.
 */
export function overBudget(hooks: Pick<RelayHooks, "budget" | "auditOverrun">, reader: ResponseReader, cur: Answer, p: Packet): BudgetOverrun | null {
  if (!hooks.budget || !cur.record || cur.silent || !reader.inRows || !isRowPacket(p.payload) || hooks.budget.take(1, p.payload.length) !== "over") return null;
  const overrun = hooks.budget.overrun();
  hooks.auditOverrun(overrun, cur.record.text);
  return overrun;
}

export function budgetCut(message: string): BudgetCut {
  return { err: errPacket(Err.SpecificAccessDenied, `Gatehouse: ${message}; the rest of this result was withheld`), sent: false };
}

/**
 * Past a budget: rows are dropped (the sequence ids after them shift back); where the target ends
 * the rows (its EOF/OK, or an ERR) the client gets the gateway's ERR instead, and every packet of
 * the command after that is dropped too. The target is not stopped: it finishes its result, which
 * the gateway reads and discards.
 */
export function dropPastBudget(reader: ResponseReader, cur: Answer, cut: BudgetCut, p: Packet, out: Buffer[]): void {
  reader.feed(p.payload);
  if (!cut.sent && (p.payload[0] === 0xff || !reader.inRows)) {
    cut.sent = true;
    out.push(framePacket(cut.err, p.seq + cur.shift).bytes);
    cur.record?.results.push({ rows: null, at: Date.now(), error: { code: String(Err.SpecificAccessDenied.code), message: cut.err.subarray(9).toString("utf8") } });
    return;
  }
  if (!cut.sent) cur.shift -= ((p.lastSeq - p.seq) & 0xff) + 1;
}

/**
 * A budget whose rule says `review`: records the review and calls `decided` with null on approval
 * (the budget is extended; the rows resume) or with why the rest is cut off. MySQL has no message a
 * server may send in the middle of a result, so the client is not told; it waits as for a slow query.
 */
export function awaitBudgetDecision(hooks: Pick<RelayHooks, "budgetHold">, overrun: BudgetOverrun, statement: string, decided: (cutWith: string | null) => void): HeldCommand {
  const held = hooks.budgetHold(overrun, statement);
  held
    .start(() => {})
    .then(
      (o) => decided(o.approved ? null : `${overrun.message}: ${o.message}`),
      (err: Error) => decided(`${overrun.message}: the review could not be held: ${err.message}`),
    );
  return held;
}
