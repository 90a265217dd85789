import type { ParsedStatement, StatementAnalyzer } from "../sql/statement-analyzer";
import { classifyStatement, type Classification } from "./classify-statement";
import type { Command } from "./command";

/** One statement of a text, as the parser saw it, classified, and as the neutral command the policy judges. */
export type SqlStatement = { statement: ParsedStatement; classification: Classification; command: Command };

export type SqlCommands = { ok: true; statements: SqlStatement[]; /** A PREPARE or an EXECUTE: the verdict depends on the session's state. */ stateful: boolean } | { ok: false; error: string };

export const sqlCommand = (c: Classification, text: string): Command => ({
  text,
  kind: c.kind,
  noun: "statement",
  runs: c.runs,
  classes: c.classes,
  resources: c.tables,
  functions: c.functions,
  writesWithoutWhere: c.writesWithoutWhere,
  copiesServerFile: c.copiesServerFile,
  copiesProgram: c.copiesProgram,
  sessionSettings: c.sessionSettings,
  locks: c.locks,
});

/**
 * A SQL session's statements as commands, with the real parser: every statement of a
 * multi-statement text, and what a PREPARE will run when it is EXECUTEd (an EXECUTE is judged by
 * what was prepared, in this text or earlier in the session). One per session (the gateway) or
 * per preview (the console's try box), so both judge a text the same way.
 */
export class SqlSession {
  // SQL-level PREPARE name -> what the prepared statement does.
  private readonly prepared = new Map<string, Classification>();

  constructor(private readonly analyzer: StatementAnalyzer) {}

  commands(text: string): SqlCommands {
    const analysis = this.analyzer.analyze(text);
    if (!analysis.ok) return { ok: false, error: analysis.error };
    let stateful = false;
    const statements = analysis.statements.map((statement): SqlStatement => {
      let c = classifyStatement(statement);
      if (c.prepares) this.prepared.set(c.prepares, c);
      if (c.executes) c = { ...(this.prepared.get(c.executes) ?? c), kind: statement.kind };
      if (c.prepares !== undefined || c.executes !== undefined) stateful = true;
      return { statement, classification: c, command: sqlCommand(c, statement.text) };
    });
    return { ok: true, statements, stateful };
  }
}
