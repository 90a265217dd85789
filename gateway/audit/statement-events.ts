import type { RequestRecord } from "../protocols/postgres/statement-tracker";
import type { StatementAnalyzer } from "../sql/statement-analyzer";
import type { AuditEvent, SessionContext } from "./audit-event";

/**
 * Expands one client request into one audit event per statement: a simple Query holding several
 * statements is split with the real parser, and each statement is paired with its own completion.
 * Statements after a failed one never ran and are not reported as run.
 */
export function statementEvents(ctx: SessionContext, r: RequestRecord, analyzer: StatementAnalyzer): AuditEvent[] {
  const analysis = analyzer.analyze(r.text);
  const base = {
    action: "statement",
    identityId: ctx.identityId,
    identityName: ctx.identityName,
    groups: ctx.groups,
    connectionName: ctx.connectionName,
    sessionId: ctx.sessionId,
    protocol: ctx.protocol,
    clientAddr: ctx.clientAddr,
  };
  const errorFields = (at: number) => ({ outcome: "error" as const, sqlstate: r.error!.code, message: r.error!.message, durationMs: at - r.startedAt });

  if (!analysis.ok || analysis.statements.length <= 1) {
    const kind = analysis.ok ? analysis.statements[0]?.kind ?? "EMPTY" : r.text.trim() === "" ? "EMPTY" : "UNPARSEABLE";
    const done = r.completions[0];
    const event: AuditEvent = { ...base, at: new Date(r.startedAt), statement: r.text, statementKind: kind, outcome: "ok", rows: done?.rows ?? null, durationMs: done ? done.at - r.startedAt : null };
    return [r.error ? { ...event, ...errorFields(r.error.at) } : event];
  }

  const events: AuditEvent[] = [];
  let previous = r.startedAt;
  for (let i = 0; i < analysis.statements.length; i++) {
    const s = analysis.statements[i];
    const done = r.completions[i];
    const event: AuditEvent = { ...base, at: new Date(previous), statement: s.text, statementKind: s.kind, outcome: "ok" };
    if (done) {
      events.push({ ...event, rows: done.rows, durationMs: done.at - previous });
      previous = done.at;
      continue;
    }
    if (r.error) events.push({ ...event, ...errorFields(r.error.at), durationMs: r.error.at - previous });
    break;
  }
  return events;
}
