import { cacheKey, type StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { judgeCommands, type Subject, type Verdict } from "../../../core/policy/evaluate-policy";
import { SqlSession } from "../../../core/policy/sql-commands";
import { classifyStatement, type Classification } from "../../../core/policy/classify-statement";
import { routineCalls } from "../../../core/sql/routine-calls";
import { userFunctions, withPgRoutineEffects } from "../../../core/policy/pg-routine-effects";
import { withWriteHookEffects, type PgHookSource } from "../../../core/policy/pg-write-hooks";
import { addedTables, unloadedReadTables, withViewReadEffects } from "../../../core/policy/pg-view-reads";
import { withDoBlockEffects } from "../../../core/policy/pg-do-blocks";
import { firesEventTriggers, withEventTriggerEffects, type EventTriggerSource } from "../../../core/policy/pg-event-triggers";
import type { ParsedStatement } from "../../../core/sql/statement-analyzer";
import type { SearchPath } from "../../../core/policy/search-path";
import type { Policy } from "../../../core/policy/policy";
import type { HeldCommand } from "../../pipeline/hold";
import { PgError } from "./pg-error";
import { Frontend, SqlState } from "./message-codes";
import { refusedParse, refusedQuery } from "./stand-in-messages";
import { REFUSED_FUNCTION_CALL, type FrontendGuard, type GuardHold, type Refusal } from "./guard-types";

/** What the guard reads of the target's routines, triggers and rules, and how it has them read (column-catalog.ts's TargetCatalog). */
export type RoutineCatalog = PgHookSource &
  EventTriggerSource & {
    builtinRoutines(): { functions: Set<string> } | null | undefined;
    loadBuiltinRoutines(): Promise<void>;
    loadRoutineNames(names: string[]): Promise<void>;
    loadTableHooks(names: string[]): Promise<void>;
    /** Changes whenever the catalog drops what it knew (DDL through the gateway): decisions taken before may be stale. */
    readonly generation?: number;
  };

// How long a decision taken by text is kept: the target's triggers and functions may change outside the gateway.
const DECIDED_MS = 60_000;
// Rounds of catalog reads a text waits for: the routines it calls, then the relations it reads and writes, and the tables their triggers write.
const LOAD_ROUNDS = 5;

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
  private decidedSince = 0;
  private decidedGeneration: number | undefined;
  // The last text's key: routinesLoaded and judge ask for it in turn.
  private lastKey: { text: string; policy: Policy; path: number; key: string } | null = null;

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
   * pg_catalog defines (a text calling built-ins only then waits no more); then the triggers, rules
   * and computed columns of the tables it writes, and of those they write in turn, and whether the
   * relations it reads are views. Undefined when there is nothing to wait for, as for a text already
   * decided (pgbench's SELECTs pay a lookup here). Never rejects (what could not be read is judged as unreadable).
   */
  routinesLoaded(text: string): Promise<void> | undefined {
    const policy = this.policy();
    if (!this.routines || !policy || this.decided.has(this.decidedKey(policy, text))) return undefined;
    const a = this.analyzer.analyze(text);
    if (!a.ok || !this.pendingLoad(a.statements)) return undefined;
    return (async () => {
      for (let round = 0; round < LOAD_ROUNDS; round++) {
        const pending = this.pendingLoad(a.statements);
        if (!pending) return;
        await pending.catch(() => {});
      }
    })();
  }

  /** The next catalog read judging these statements needs; null when everything is known. */
  private pendingLoad(statements: ParsedStatement[]): Promise<unknown> | null {
    const routines = this.routines!;
    // The calls in its trees (routine-calls.ts); an EXECUTE's in what it prepared; a DO block's in its code.
    const classifications = statements.map((s) =>
      s.node === "ExecuteStmt"
        ? this.sql.preparedAs(classifyStatement(s).executes ?? "")
        : s.node === "DoStmt"
          ? withDoBlockEffects(classifyStatement(s), s, this.analyzer).classification
          : classifyStatement(s),
    );
    const functions = statements.flatMap((s, i) => (s.node === "ExecuteStmt" || s.node === "DoStmt" ? (classifications[i]?.functions ?? []) : routineCalls(s.tree).functions));
    const called = userFunctions(functions);
    const builtins = routines.builtinRoutines();
    const wanted = called.filter((n) => !builtins?.functions.has(n) && routines.routineDefinitions(n) === undefined);
    // DDL waits for the event triggers (read with the built-in names), as a call waits for its routine; a write waits for the
    // built-in names too, which its triggers' and computed columns' routines may call (`now()`): a routine that calls a name
    // neither loaded nor built in is code the gateway cannot see. (They are read once a minute per target: catalog TTL.)
    const ddl = !!routines.eventTriggers && classifications.some((c) => c && firesEventTriggers(c));
    const writes = classifications.some((c) => !!c?.writes?.length);
    if (wanted.length || ((called.length || ddl || writes) && builtins === undefined))
      return Promise.all([builtins === undefined ? routines.loadBuiltinRoutines().catch(() => {}) : null, wanted.length ? routines.loadRoutineNames(wanted) : null]);
    const tables = new Set<string>();
    for (const c of classifications) {
      if (!c) continue;
      const viaCalls = userFunctions(c.functions).length ? withPgRoutineEffects(c, routines, this.analyzer).classification : c;
      // A call's DDL fires event triggers too; their functions' writes are followed as a call's.
      const merged = withEventTriggerEffects(viaCalls, routines, this.analyzer).classification;
      // One walk of the write's hooks: the tables still to read, and what the loaded ones add (whose reads may be views).
      const hooked = withWriteHookEffects(merged, routines, this.analyzer, (t) => tables.add(t)).classification;
      for (const t of unloadedReadTables(hooked, routines, this.analyzer, addedTables(merged, hooked))) tables.add(t);
    }
    return tables.size ? routines.loadTableHooks([...tables]) : null;
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
    const key = this.decidedKey(policy, text);
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

  /** The key of a text's decision under the current policy and search path (decisions taken under another policy, catalog or minute are dropped first). */
  private decidedKey(policy: Policy, text: string): string {
    const now = Date.now();
    if (policy !== this.decidedFor || this.routines?.generation !== this.decidedGeneration || now - this.decidedSince > DECIDED_MS) {
      this.decided.clear();
      this.decidedFor = policy;
      this.decidedGeneration = this.routines?.generation;
      this.decidedSince = now;
    }
    // Numeric literals never change a decision unless a regex rule reads the text itself.
    const last = this.lastKey;
    if (last && last.text === text && last.policy === policy && last.path === this.sql.pathVersion) return last.key;
    const key = `${this.sql.pathVersion}\0${policy.rules.some((r) => r.match.regex !== undefined) ? text : cacheKey(text)}`;
    this.lastKey = { text, policy, path: this.sql.pathVersion, key };
    return key;
  }

  private decide(policy: Policy, text: string): { judgement: Judgement; stateful: boolean } {
    // What the target owner's functions a statement calls, the triggers and rules of the tables it
    // writes, and the views it reads run is merged in; such a verdict is not kept (they may change).
    const notes = new Map<Classification, string>();
    let consulted = false;
    const routines = this.routines;
    const effects = routines
      ? (c: Classification) => {
          const called = userFunctions(c.functions);
          if (called.length === 0 && !c.writes?.length && !c.tables.length && !firesEventTriggers(c)) return c;
          // Built-ins only: the verdict may be kept; a function of the target's may change.
          const builtins = routines.builtinRoutines();
          if (called.some((n) => !builtins?.functions.has(n))) consulted = true;
          const viaCalls = called.length ? withPgRoutineEffects(c, routines, this.analyzer) : { classification: c, note: undefined };
          const fired = withEventTriggerEffects(viaCalls.classification, routines, this.analyzer);
          const hooked = withWriteHookEffects(fired.classification, routines, this.analyzer);
          // The tables the write's hooks added are written, not read.
          const viewed = withViewReadEffects(hooked.classification, routines, this.analyzer, addedTables(fired.classification, hooked.classification));
          consulted ||= fired.consulted || hooked.consulted || viewed.consulted;
          const note = [viaCalls.note, fired.note, hooked.note, viewed.note].filter(Boolean).join("; ");
          if (note) notes.set(viewed.classification, note);
          return viewed.classification;
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
    const note = [judged?.note, judged && notes.get(judged.classification)].filter(Boolean).join("; ");
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
