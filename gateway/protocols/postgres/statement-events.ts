import type { StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { storedStatement, type AuditEvent, type SessionContext } from "../../../core/audit/audit-event";
import type { RequestRecord } from "./statement-tracker";

/** What masking replaced in a request's results and messages, by detector (or column rule), per statement in order. */
export type MaskedCounts = Array<Record<string, number> | undefined>;

/** Masks what an audit event stores of a statement's text and error (detector hits), when the session is masked. */
export type AuditTextMask = (text: string) => string;

/** One statement's event; built as one literal (this runs for every statement that passes). */
function event(
  ctx: SessionContext,
  at: number,
  statement: string,
  kind: string,
  rows: number | null,
  durationMs: number | null,
  error?: RequestRecord["error"],
  masked?: Record<string, number>,
): AuditEvent {
  return {
    at: new Date(at),
    action: "statement",
    outcome: error ? "error" : "ok",
    identityId: ctx.identityId,
    identityName: ctx.identityName,
    groups: ctx.groups,
    connectionName: ctx.connectionName,
    sessionId: ctx.sessionId,
    protocol: ctx.protocol,
    clientAddr: ctx.clientAddr,
    statement,
    statementKind: kind,
    durationMs,
    rows: error ? null : rows,
    sqlstate: error ? error.code : null,
    message: error ? error.message : null,
    details: masked ? { masked } : null,
  };
}

/**
 * Expands one client request into one audit event per statement: a simple Query holding several
 * statements is split with the real parser, and each statement is paired with its own completion.
 * Statements after a failed one never ran and are not reported as run.
 */
export function statementEvents(ctx: SessionContext, r: RequestRecord, analyzer: StatementAnalyzer, mask?: AuditTextMask, masked?: MaskedCounts): AuditEvent[] {
  const events = eventsOf(ctx, r, analyzer, masked);
  // A role's password (ALTER ROLE ... PASSWORD '...'), a connection string's: never stored.
  for (const e of events) {
    if (e.statement) e.statement = storedStatement(e.statement, mask);
    if (mask && e.message) e.message = mask(e.message);
  }
  return events;
}

function eventsOf(ctx: SessionContext, r: RequestRecord, analyzer: StatementAnalyzer, masked: MaskedCounts | undefined): AuditEvent[] {
  if (r.refusedKind) {
    // Refused by a guardrail: nothing of the text ran; one event, naming the kind that was refused.
    return [{ ...event(ctx, r.startedAt, r.text, r.refusedKind, null, 0, r.error, masked?.[0]), outcome: "denied" }];
  }
  const analysis = analyzer.analyze(r.text);
  if (!analysis.ok || analysis.statements.length <= 1) {
    const kind = analysis.ok ? (analysis.statements[0]?.kind ?? "EMPTY") : r.text.trim() === "" ? "EMPTY" : "UNPARSEABLE";
    const done = r.completions[0];
    const endedAt = r.error ? r.error.at : done?.at;
    return [event(ctx, r.startedAt, r.text, kind, done?.rows ?? null, endedAt === undefined ? null : endedAt - r.startedAt, r.error, masked?.[0])];
  }
  const events: AuditEvent[] = [];
  let previous = r.startedAt;
  for (let i = 0; i < analysis.statements.length; i++) {
    const s = analysis.statements[i];
    const done = r.completions[i];
    if (done) {
      events.push(event(ctx, previous, s.text, s.kind, done.rows, done.at - previous, undefined, masked?.[i]));
      previous = done.at;
      continue;
    }
    if (r.error) events.push(event(ctx, previous, s.text, s.kind, null, r.error.at - previous, r.error, masked?.[i]));
    break;
  }
  return events;
}
