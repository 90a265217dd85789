import { cacheKey, type StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { judgeCommands, type Subject, type Verdict } from "../../../core/policy/evaluate-policy";
import { SqlSession } from "../../../core/policy/sql-commands";
import { classifyStatement, type Classification } from "../../../core/policy/classify-statement";
import { routineCalls } from "../../../core/sql/routine-calls";
import { userFunctions, withPgRoutineEffects, type PgRoutineSource } from "../../../core/policy/pg-routine-effects";
import type { SearchPath } from "../../../core/policy/search-path";
import type { Policy } from "../../../core/policy/policy";
import type { HeldCommand } from "../../pipeline/hold";
import { PgError } from "./pg-error";
import { Frontend, SqlState } from "./message-codes";
import { refusedParse, refusedQuery } from "./stand-in-messages";
import { REFUSED_FUNCTION_CALL, type FrontendGuard, type GuardHold, type Refusal } from "./guard-types";

/** What the guard reads of the target's routines, and how it has them read (column-catalog.ts's TargetCatalog). */
export type RoutineCatalog = PgRoutineSource & {
  builtinRoutines(): { functions: Set<string> } | null | undefined;
  loadBuiltinRoutines(): Promise<void>;
  loadRoutineNames(names: string[]): Promise<void>;
};

/** A statement a rule holds for approval (the first of the text that needs one), as the shared judge said. */
export type ReviewNeeded = Extract<Verdict, { action: "review" }>;

/** What the guard says of a text: pass (null), refuse, or hold for review. */
export type Judgement = { refusal: Refusal } | { review: ReviewNeeded } | null;

/**
 * Judges each query text a client sends (simple Query or extended Parse) against the connection's
 * policy with the shared SQL session model and judge (core/policy): every statement of a
 * multi-statement text, what a PREPARE will do when it is EXECUTEd, and nothing for texts that
 * merely look dangerous. A text the parser refuses is refused (fail closed). Without a policy
 * nothing is parsed here. Renders verdicts as Postgres errors; caches them per text.
 */
export class StatementGuard {
  private readonly sql: SqlSession;
  // Decisions already taken in this session, by text (drivers resend the same texts), for the current policy.
  private readonly decided = new Map<string, Refusal | null>();
  private decidedFor: Policy | null = null;

  // Texts went by unjudged (no policy then): a search_path they set is not known.
  private unjudged = false;

  constructor(
    private readonly policy: () => Policy | null,
    private readonly who: Subject,
    private readonly analyzer: StatementAnalyzer,
    /** The target user and the search path the client's start-up asked for (see SqlSession). */
    start?: { user: string; searchPath?: SearchPath },
    /** The target's routines: a statement is judged with what the functions it calls run (core/policy/pg-routine-effects.ts). */
    private readonly routines: RoutineCatalog | null = null,
  ) {
    this.sql = new SqlSession(analyzer, start);
  }

  /**
   * Under a policy, what a text waits for before it is judged: the definitions of the functions it
   * calls (or an EXECUTE runs) that may be the target owner's and are not loaded, and the names only
   * pg_catalog defines (a text calling built-ins only then waits no more). Undefined when there is
   * nothing to wait for. Never rejects (what could not be read is judged as unreadable).
   */
  routinesLoaded(text: string): Promise<void> | undefined {
    // No parenthesis, no call, unless it EXECUTEs what was prepared (pgbench's statements pay nothing here).
    const routines = this.routines;
    if (!routines || (!text.includes("(") && !/execute/i.test(text)) || !this.policy()) return undefined;
    const a = this.analyzer.analyze(text);
    if (!a.ok) return undefined;
    // The calls in its trees (routine-calls.ts: no classification here, decide() classifies once); an EXECUTE's in what it prepared.
    const functions = a.statements.flatMap((s) => {
      if (s.node !== "ExecuteStmt") return routineCalls(s.tree).functions;
      const name = classifyStatement(s).executes;
      return (name && this.sql.preparedAs(name)?.functions) || [];
    });
    const called = userFunctions(functions);
    if (!called.length) return undefined;
    const builtins = routines.builtinRoutines();
    const wanted = called.filter((n) => !builtins?.functions.has(n) && routines.routineDefinitions(n) === undefined);
    if (!wanted.length && builtins !== undefined) return undefined;
    const quietly = (p: Promise<void>) => p.catch(() => {});
    return Promise.all([builtins === undefined ? quietly(routines.loadBuiltinRoutines()) : null, wanted.length ? quietly(routines.loadRoutineNames(wanted)) : null]).then(() => {});
  }

  /** False when the connection has no policy: then nothing is decoded or parsed for it. */
  get active(): boolean {
    const active = this.policy() !== null;
    if (!active) this.unjudged = true;
    return active;
  }

  judge(text: string): Judgement {
    const policy = this.policy();
    if (!policy) return null;
    if (this.unjudged) {
      this.unjudged = false;
      this.sql.forgetSearchPath();
    }
    if (policy !== this.decidedFor) {
      this.decided.clear();
      this.decidedFor = policy;
    }
    // Numeric literals never change a decision unless a regex rule reads the text itself.
    const key = `${this.sql.pathVersion}\0${policy.rules.some((r) => r.match.regex !== undefined) ? text : cacheKey(text)}`;
    const known = this.decided.get(key);
    if (known !== undefined) return known && { refusal: known };
    const { judgement, stateful } = this.decide(policy, text);
    // PREPARE/EXECUTE depend on session state, and every run of a held statement needs its own approval.
    if (!stateful && !(judgement && "review" in judgement)) {
      if (this.decided.size >= 1000) this.decided.clear();
      this.decided.set(key, judgement?.refusal ?? null);
    }
    return judgement;
  }

  private decide(policy: Policy, text: string): { judgement: Judgement; stateful: boolean } {
    // What the target owner's functions a statement calls run is merged in; such a verdict is not kept (the functions may change).
    const notes = new Map<Classification, string>();
    let consulted = false;
    const routines = this.routines;
    const effects = routines
      ? (c: Classification) => {
          const called = userFunctions(c.functions);
          if (called.length === 0) return c;
          // Built-ins only: the verdict may be kept; a function of the target's may change.
          const builtins = routines.builtinRoutines();
          if (called.some((n) => !builtins?.functions.has(n))) consulted = true;
          const { classification, note } = withPgRoutineEffects(c, routines, this.analyzer);
          if (note) notes.set(classification, note);
          return classification;
        }
      : undefined;
    const parsed = this.sql.commands(text, effects);
    if (!parsed.ok) {
      if (text.trim() === "") return { judgement: null, stateful: false };
      return { stateful: false, judgement: { refusal: { kind: "UNPARSEABLE", error: new PgError("ERROR", "42601", `Gatehouse refused a statement it could not parse: ${parsed.error}`) } } };
    }
    const verdict = judgeCommands(
      policy,
      this.who,
      parsed.statements.map((s) => s.command),
    );
    const stateful = parsed.stateful || consulted;
    if (verdict.action === "allow") return { judgement: null, stateful };
    const judged = parsed.statements.find((s) => s.command === verdict.command);
    const note = judged && notes.get(judged.classification);
    const reason = note ? `${verdict.decision.reason} (${note})` : verdict.decision.reason;
    if (verdict.action === "review") return { judgement: { review: note ? { ...verdict, decision: { ...verdict.decision, reason } } : verdict }, stateful };
    const error = new PgError("ERROR", SqlState.InsufficientPrivilege, `Gatehouse denied this statement: ${reason}`, `statement: ${verdict.command.text.slice(0, 200)}`);
    return { stateful, judgement: { refusal: { kind: verdict.command.kind, error } } };
  }
}

/** Starts the shared hold of a held text (see gateway/pipeline/hold.ts). */
export type RequestReview = (need: ReviewNeeded, text: string) => HeldCommand;

/**
 * The relay's hook: judges Query and Parse messages; a refusal carries the stand-in message for
 * the target; a review holds the message until the shared hold settles it, told to the client as a
 * NOTICE (psql prints it at once; the connection stays open) and refused as 42501 with the reason.
 */
export function frontendGuard(guard: StatementGuard, requestReview: RequestReview, notice: (kind: string, n: { link: string; reason: string; wait: string }) => Buffer): FrontendGuard {
  return (type, text, buf, start, end) => {
    if (!guard.active) return null;
    if (type === Frontend.FunctionCall) {
      // The fast-path call names a function by OID, with no SQL to judge: under a policy it is refused.
      const error = new PgError("ERROR", SqlState.InsufficientPrivilege, "Gatehouse refuses fast-path function calls on connections with a guardrail policy");
      return { refusal: { kind: "FUNCTION CALL", error }, replacement: REFUSED_FUNCTION_CALL };
    }
    const judgement = guard.judge(text);
    if (!judgement) return null;
    // A refused Parse keeps its statement name, so the client's later Bind/Close still line up.
    const replacement = type === Frontend.Query ? refusedQuery() : refusedParse(buf, start, end);
    if ("refusal" in judgement) return { refusal: judgement.refusal, replacement };
    const kind = judgement.review.command.kind;
    const held = requestReview(judgement.review, text);
    const hold: GuardHold["hold"] = {
      start: async (tellClient) => {
        const outcome = await held.start((n) => tellClient(notice(kind, n)));
        if (outcome.approved) return null;
        // Withdrawn by the client's CancelRequest: what PostgreSQL answers a cancelled statement.
        if (outcome.withdrawn) return { refusal: { kind, error: new PgError("ERROR", SqlState.QueryCanceled, "canceling statement due to user request") }, replacement };
        return { refusal: { kind, error: new PgError("ERROR", SqlState.InsufficientPrivilege, `Gatehouse did not run this ${kind}: ${outcome.message}`) }, replacement };
      },
      cancel: held.cancel,
      withdraw: held.withdraw,
    };
    return { hold };
  };
}
