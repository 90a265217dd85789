import type { SessionScope } from "../../pipeline/session-scope";
import type { ResultDone } from "./response-reader";
import { statementsOf } from "./statement-guard";

/** One client command that carried SQL, and what became of it. */
export type CommandRecord = {
  /** The SQL (a COM_STMT_EXECUTE carries its prepared text). */
  text: string;
  startedAt: number;
  results: ResultDone[];
  /** Refused by the gateway (a rule, a review, fail closed): nothing reached the target. */
  refused?: { kind: string; code: string; message: string };
  /** What masking replaced in its results, by detector or column rule. */
  masked?: Record<string, number> | null;
  /** Held earlier and answered at once: who approved it (it ran when sent again). */
  approval?: string;
};

/**
 * One audit event per statement: a text holding several statements is paired result by result
 * (each result of a multi-statement COM_QUERY answers one statement); statements after a failed
 * one never ran and are not reported as run. The scope masks statement texts; error messages
 * (which may quote values) are masked here by `mask` when given.
 */
export function auditCommand(scope: Pick<SessionScope, "audit">, r: CommandRecord, mask?: (t: string) => string, serverVersion?: number): void {
  const m = (t: string) => (mask ? mask(t) : t);
  const details = r.masked ? { masked: r.masked } : null;
  if (r.refused) {
    scope.audit({
      at: new Date(r.startedAt),
      action: "statement",
      outcome: "denied",
      statement: r.text,
      statementKind: r.refused.kind,
      durationMs: 0,
      rows: null,
      sqlstate: r.refused.code,
      message: m(r.refused.message),
      details,
    });
    return;
  }
  const statements = statementsOf(r.text, serverVersion);
  // More statements than results (a stored program's body, split at its `;`s): the text as one statement.
  const parts = statements.length > r.results.length && !r.results.some((x) => x.error) ? [{ text: r.text, kind: statements[0].kind }] : statements;
  let previous = r.startedAt;
  for (let i = 0; i < parts.length; i++) {
    const done = r.results[i];
    if (!done) break;
    const error = done.error;
    scope.audit({
      at: new Date(previous),
      action: "statement",
      outcome: error ? "error" : "ok",
      statement: parts[i].text,
      statementKind: parts[i].kind,
      durationMs: done.at - previous,
      rows: error ? null : done.rows,
      sqlstate: error ? error.code : null,
      message: error ? m(error.message) : i === 0 && r.approval ? r.approval : null,
      details: i === 0 ? details : null,
    });
    previous = done.at;
    if (error) break;
  }
}
