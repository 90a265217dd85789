import { analyzeMysql, type MysqlStatement } from "../../../core/policy/classify-mysql";
import type { Classification } from "../../../core/policy/classify-statement";
import { judgeCommands, type Subject, type Verdict } from "../../../core/policy/evaluate-policy";
import { PreparedStatements, sqlCommand, unnamedTables } from "../../../core/policy/sql-commands";
import { possibleTables } from "../../../core/policy/search-path";
import type { Policy } from "../../../core/policy/policy";
import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import type { ViewCatalog } from "./view-catalog";
import { nonBuiltin, withRoutineEffects } from "../../../core/policy/mysql-routine-effects";
import { withTriggerEffects } from "../../../core/policy/mysql-trigger-effects";
import { withViewReadEffects } from "../../../core/policy/mysql-view-reads";
import { addMysqlChanges, noChanges, withEarlierChanges } from "../../../core/policy/text-changes";
import { readsRows } from "../../../core/policy/reads-rows";
import { writesOf } from "../../../core/sql/mysql-writes";
import { writtenTables } from "../../../core/sql/written-tables";

export type ReviewNeeded = Extract<Verdict, { action: "review" }>;
/** What the guard says of a text: pass (null), refuse (with the kind the audit names), or hold for review. */
export type Judgement = { refusal: MysqlError; kind: string } | { review: ReviewNeeded } | null;

/**
 * Judges each text a MySQL client sends (COM_QUERY, COM_STMT_PREPARE) against the connection's
 * policy with the shared judge: every statement of a multi-statement text as the server will run it
 * (executable comments opened), SQL-level PREPARE by what it prepares and EXECUTE by what was
 * prepared. A text that cannot be read is refused under a policy (fail closed). Without a policy
 * nothing is parsed here.
 */
export class MysqlStatementGuard {
  private readonly prepared = new PreparedStatements();
  // Texts went by unjudged (no policy then): a USE among them is not known.
  private unjudged = false;

  constructor(
    private readonly policy: () => Policy | null,
    private readonly who: Subject,
    /** The target's version as executable comments compare it (undefined: every one is opened). */
    private readonly serverVersion?: number,
    /** The session's database, which unqualified table names are in (undefined: none selected; null: unknown). */
    private database?: string | null,
    /** The target's stored routines and triggers: a statement is judged with what the stored functions it calls and the triggers it fires run. */
    private readonly routines: Pick<ViewCatalog, "routineCode" | "routineParameters" | "triggerCode" | "cascadesOf" | "ensureFunctions" | "viewsNamed" | "ensure"> | null = null,
  ) {}

  /**
   * Under a policy, what judging a text needs of the target's catalog is read (unless known) first:
   * whether the relations it names are views (read through, or written through, to the tables they
   * read), and the stored routines and triggers when it calls a function other than a built-in,
   * writes rows or reads a view. Undefined when there is nothing to wait for (a driver's point select
   * once its table is known).
   */
  routinesReady(text: string): Promise<void> | undefined {
    const routines = this.routines;
    if (!routines || !this.policy()) return undefined;
    const analysis = analyzeMysql(text, this.serverVersion);
    if (!analysis.ok) return undefined;
    const judged = analysis.statements.map((s) => (s.classification.executes ? (this.prepared.get(s.classification.executes) ?? s.classification) : s.classification));
    const setsOff = judged.some((c) => nonBuiltin(c.functions).length > 0 || writesOf(c).events.length > 0);
    // The tables it reads rows of (not DESCRIBE's or DROP's), and those its words write into (`insert into v`), which may be views.
    const tables = [...judged.flatMap((c) => (readsRows(c) ? c.tables : [])), ...analysis.statements.flatMap((s) => writtenTables(s.executable, "mysql").map((w) => w.table))];
    const views = tables.length ? routines.ensure(tables) : undefined;
    const readsView = () => tables.some((t) => routines.viewsNamed(t)?.length !== 0);
    const functions = () => (setsOff || readsView() ? routines.ensureFunctions() : undefined);
    return views ? views.then(functions) : functions();
  }

  /** Whether the connection has a policy (texts are judged). */
  active(): boolean {
    const active = this.policy() !== null;
    if (!active) this.unjudged = true;
    return active;
  }

  /** The database is no longer known (COM_CHANGE_USER may select another): any. */
  forgetDatabase(): void {
    this.database = null;
  }

  judge(text: string): Judgement {
    const policy = this.policy();
    if (!policy) {
      this.unjudged = true;
      return null;
    }
    if (this.unjudged) {
      this.unjudged = false;
      this.database = null;
    }
    const analysis = analyzeMysql(text, this.serverVersion);
    if (!analysis.ok) {
      if (text.trim() === "") return null;
      return {
        kind: "UNPARSEABLE",
        refusal: new MysqlError(Err.ParseError, `Gatehouse refused a statement it could not parse: ${analysis.error}. This connection has guardrails, so what they cannot judge does not run`),
      };
    }
    const through = new Map<object, string>();
    // What earlier statements of this text change in the catalog (later ones that use it cannot be judged by it).
    const changes = noChanges();
    const commands = analysis.statements.map((s) => {
      const resolved = this.resolve(s);
      const earlier = withEarlierChanges(resolved, changes, (x) => nonBuiltin(x.functions));
      addMysqlChanges(resolved, s.executable, changes);
      const called = withRoutineEffects(earlier.classification, this.routines, this.serverVersion);
      const triggered = withTriggerEffects(called.classification, this.routines, this.serverVersion, s.executable);
      const { classification: c, note } = withViewReadEffects(triggered.classification, this.routines, this.serverVersion, s.executable);
      const command = sqlCommand(c, s.original);
      const notes = [earlier.note, called.note, triggered.note, note].filter(Boolean).join("; ");
      if (notes) through.set(command, notes);
      // Unqualified tables are in the session's database: a rule on `shop.*` meets them (deny and review rules).
      const possible = [...(this.database === undefined ? [] : possibleTables(c.tables, this.database === null ? null : [this.database])), ...unnamedTables(c)];
      if (possible.length) command.possibleResources = possible;
      if (c.sessionSettings.includes("database")) this.database = usedDatabase(s.executable);
      return command;
    });
    const verdict = judgeCommands(policy, this.who, commands);
    if (verdict.action === "allow") return null;
    const note = through.get(verdict.command);
    if (verdict.action === "review") return { review: note ? { ...verdict, decision: { ...verdict.decision, reason: `${verdict.decision.reason} (${note})` } } : verdict };
    const { command, decision } = verdict;
    return { kind: command.kind, refusal: new MysqlError(Err.TableAccessDenied, `Gatehouse denied this ${command.kind} statement: ${decision.reason}${note ? ` (${note})` : ""}`) };
  }

  /** An EXECUTE is what its PREPARE prepared (in this text or earlier in the session). */
  private resolve(s: MysqlStatement): Classification {
    return this.prepared.resolve(s.classification, "EXECUTE");
  }
}

/** The database a USE selects (null: one the gateway cannot read). */
function usedDatabase(statement: string): string | null {
  const m = /^use\s+(?:`((?:[^`]|``)+)`|([^\s`;]+))\s*$/i.exec(statement.trim());
  return m ? (m[1] !== undefined ? m[1].replaceAll("``", "`") : m[2]) : null;
}

/** The kinds of a text's statements, for the audit (UNPARSEABLE when it cannot be read). */
export function statementsOf(text: string, serverVersion?: number): Array<{ text: string; kind: string }> {
  const analysis = analyzeMysql(text, serverVersion);
  if (!analysis.ok) return [{ text, kind: text.trim() === "" ? "EMPTY" : "UNPARSEABLE" }];
  if (analysis.statements.length === 0) return [{ text, kind: "EMPTY" }];
  return analysis.statements.map((s) => ({ text: s.original, kind: s.classification.kind }));
}
