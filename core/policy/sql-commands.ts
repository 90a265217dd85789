import type { ParsedStatement, StatementAnalyzer } from "../sql/statement-analyzer";
import { classifyStatement, type Classification } from "./classify-statement";
import type { Command } from "./command";
import { withDoBlockEffects } from "./pg-do-blocks";
import { firesEventTriggers } from "./pg-event-triggers";
import { userFunctions } from "./pg-routine-effects";
import { addPgChanges, noChanges, withEarlierChanges } from "./text-changes";
import { DEFAULT_SEARCH_PATH, parseSearchPath, possibleTables, searchPathChange, type SearchPath } from "./search-path";

/** One statement of a text, as the parser saw it, classified, and as the neutral command the policy judges; `note`, for a person: what a DO block's code runs, or which earlier statement of the text keeps it from being judged by the catalog. */
export type SqlStatement = { statement: ParsedStatement; classification: Classification; command: Command; note?: string };

export type SqlCommands =
  | { ok: true; statements: SqlStatement[]; /** A PREPARE, an EXECUTE or a search_path change: the verdict depends on, or changes, the session's state. */ stateful: boolean }
  | { ok: false; error: string };

export function sqlCommand(c: Classification, text: string): Command {
  const command: Command = {
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
  };
  if (c.unknownRuns) {
    command.unknownRuns = true;
    if (Array.isArray(c.unknownFrom)) command.unknownFrom = c.unknownFrom;
  }
  if (c.named) command.namedResources = c.named;
  return command;
}

/** The tables a statement may touch without naming them, as possible resources: every table of a schema (`billing.*`), or of any (`*`). */
export const unnamedTables = (c: Classification): string[] => (c.everyTableOf ?? []).map((schema) => (schema === "*" ? "*" : `${schema}.*`));

/** A session's SQL-level prepared statements: an EXECUTE is judged as what its PREPARE prepared (in this text or earlier). */
export class PreparedStatements {
  private readonly byName = new Map<string, Classification>();

  /** `c` as judged: a PREPARE is remembered by its name; an EXECUTE is what was prepared under `kind` (itself when nothing was). */
  resolve(c: Classification, kind: string): Classification {
    if (c.prepares) this.byName.set(c.prepares, c);
    return c.executes ? { ...(this.byName.get(c.executes) ?? c), kind } : c;
  }

  get(name: string): Classification | undefined {
    return this.byName.get(name);
  }
}

/**
 * A SQL session's statements as commands, with the real parser: every statement of a
 * multi-statement text, and what a PREPARE will run when it is EXECUTEd (an EXECUTE is judged by
 * what was prepared, in this text or earlier in the session). One per session (the gateway) or
 * per preview (the console's try box), so both judge a text the same way.
 */
export class SqlSession {
  private readonly prepared = new PreparedStatements();
  private searchPath: SearchPath;
  private roleChanged = false;
  /** Changes with the search path: a decision cached by text holds for one value of it. */
  pathVersion = 0;

  constructor(
    private readonly analyzer: StatementAnalyzer,
    /** The target user (`$user` in the path) and the path the session starts with (undefined: PostgreSQL's default). */
    private readonly start: { user: string; searchPath?: SearchPath } = { user: "$user" },
  ) {
    this.searchPath = this.startPath();
  }

  /** The path the session starts with: its client's, or PostgreSQL's default (null: the client's could not be read). */
  private startPath(): SearchPath {
    return this.start.searchPath !== undefined ? this.start.searchPath : parseSearchPath(DEFAULT_SEARCH_PATH, this.start.user);
  }

  /** The search path is no longer known (changed while no one judged the session): any schema. */
  forgetSearchPath(): void {
    this.searchPath = null;
    this.pathVersion++;
  }

  /** What a prepared statement of this name does (EXECUTE is judged by it); undefined when none was prepared. */
  preparedAs(name: string): Classification | undefined {
    return this.prepared.get(name);
  }

  /** `effects`: what each statement also does, by what it calls (the target's routines), merged into its classification. */
  commands(text: string, effects?: (c: Classification) => Classification): SqlCommands {
    const analysis = this.analyzer.analyze(text);
    if (!analysis.ok) return { ok: false, error: analysis.error };
    let stateful = false;
    // What earlier statements of this text change in the catalog (later ones that use it cannot be judged by it).
    const changes = noChanges();
    const statements = analysis.statements.map((statement): SqlStatement => {
      let c = this.prepared.resolve(classifyStatement(statement), statement.kind);
      if (c.prepares !== undefined || c.executes !== undefined) stateful = true;
      // A DO block is judged by its code (the functions it calls, by the caller's effects, as any call's).
      let note: string | undefined;
      if (statement.node === "DoStmt") ({ classification: c, note } = withDoBlockEffects(c, statement, this.analyzer));
      const earlier = withEarlierChanges(c, changes, (x) => userFunctions(x.functions), firesEventTriggers(c));
      if (earlier.note) {
        c = earlier.classification;
        note = [note, earlier.note].filter(Boolean).join("; ");
      }
      addPgChanges(statement, changes);
      if (effects) c = effects(c);
      const command = sqlCommand(c, statement.text);
      const possible = [...possibleTables(c.tables, this.searchPath), ...unnamedTables(c)];
      if (possible.length) command.possibleResources = possible;
      // Code the parser cannot see into (DO, CALL) may set the path, and a new role is a new `$user`
      // (for the default path too): any schema after either.
      if (c.sessionSettings.includes("role")) this.roleChanged = true;
      const change = c.classes.includes("anonymous-code") || c.sessionSettings.includes("role") ? { path: null } : searchPathChange(statement, c.sessionSettings, this.start.user);
      if (change) {
        this.searchPath = change !== "default" ? change.path : this.roleChanged ? null : this.startPath();
        this.pathVersion++;
        stateful = true;
      }
      return { statement, classification: c, command, note };
    });
    return { ok: true, statements, stateful };
  }
}
