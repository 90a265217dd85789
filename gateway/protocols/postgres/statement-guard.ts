import { cacheKey, type StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { classifyStatement, type Classification } from "../../../core/policy/classify-statement";
import { evaluatePolicy, type Decision, type Subject } from "../../../core/policy/evaluate-policy";
import type { Policy, Rule } from "../../../core/policy/policy";
import { PgError } from "./pg-error";
import { Frontend, SqlState } from "./message-codes";
import { serialize } from "pg-protocol";
import { readParse } from "./frontend-messages";
import type { FrontendGuard, GuardHold, GuardRefusal } from "./relay";

/** A refusal, with the kind of statement it refused (for the audit trail). */
export type Refusal = { error: PgError; kind: string };

/** A statement a rule holds for approval: the first of the text that needs one. */
export type ReviewNeeded = { kind: string; statement: string; classification: Classification; decision: Decision; rule: Rule | undefined };

/** What the guard says of a text: pass (null), refuse, or hold for review. */
export type Judgement = { refusal: Refusal } | { review: ReviewNeeded } | null;

/**
 * Judges each query text a client sends (simple Query or extended Parse) against the connection's
 * policy, with the real parser: every statement of a multi-statement text, what a PREPARE will do
 * when it is EXECUTEd, and nothing for texts that merely look dangerous. A text the parser refuses
 * is refused (fail closed). Without a policy nothing is parsed here.
 */
export class StatementGuard {
  // SQL-level PREPARE name -> what the prepared statement does, for a later EXECUTE.
  private readonly prepared = new Map<string, Classification>();
  // Decisions already taken in this session, by text (drivers resend the same texts), for the current policy.
  private readonly decided = new Map<string, Refusal | null>();
  private decidedFor: Policy | null = null;

  constructor(
    private readonly policy: () => Policy | null,
    private readonly who: Subject,
    private readonly analyzer: StatementAnalyzer,
  ) {}

  /** False when the connection has no policy: then nothing is decoded or parsed for it. */
  get active(): boolean {
    return this.policy() !== null;
  }

  judge(text: string): Judgement {
    const policy = this.policy();
    if (!policy) return null;
    if (policy !== this.decidedFor) {
      this.decided.clear();
      this.decidedFor = policy;
    }
    // Numeric literals never change a decision unless a regex rule reads the text itself.
    const key = policy.rules.some((r) => r.match.regex !== undefined) ? text : cacheKey(text);
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

  /** Every statement of the text is judged: a deny anywhere refuses it all; otherwise the first review holds it all. */
  private decide(policy: Policy, text: string): { judgement: Judgement; stateful: boolean } {
    let stateful = false;
    let review: ReviewNeeded | undefined;
    const analysis = this.analyzer.analyze(text);
    if (!analysis.ok) {
      if (text.trim() === "") return { judgement: null, stateful };
      return { stateful, judgement: { refusal: { kind: "UNPARSEABLE", error: new PgError("ERROR", "42601", `Gatehouse refused a statement it could not parse: ${analysis.error}`) } } };
    }
    for (const s of analysis.statements) {
      let c = classifyStatement(s);
      if (c.prepares) this.prepared.set(c.prepares, c);
      if (c.executes) c = { ...(this.prepared.get(c.executes) ?? c), kind: s.kind };
      if (c.prepares !== undefined || c.executes !== undefined) stateful = true;
      const d = evaluatePolicy(policy, this.who, c, s.text);
      if (d.action === "review") review ??= { kind: s.kind, statement: s.text, classification: c, decision: d, rule: policy.rules.find((r) => r.name === d.rule) };
      if (d.action !== "deny") continue;
      const error = new PgError("ERROR", SqlState.InsufficientPrivilege, `Gatehouse denied this statement: ${d.reason}`, `statement: ${s.text.slice(0, 200)}`);
      return { stateful, judgement: { refusal: { kind: s.kind, error } } };
    }
    return { stateful, judgement: review ? { review } : null };
  }
}

/** Starts the review of a held text; resolves with null when approved, or the refusal to return. */
export type RequestReview = (need: ReviewNeeded, text: string) => { start: (tellClient: (msg: Buffer) => void) => Promise<Refusal | null>; cancel: (why: string) => void };

// What the target is sent in place of a refused text: it fails in the target's parser, runs nothing.
export const REFUSED_TEXT = "GATEHOUSE_REFUSED_THIS_STATEMENT";

// FunctionCall of OID 0, no arguments, text result: the target answers "function does not exist".
export const REFUSED_FUNCTION_CALL = Buffer.from([0x46, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/**
 * The relay's hook: judges Query and Parse messages; a refusal carries the stand-in message for
 * the target; a review holds the message until `requestReview` settles it.
 */
export function frontendGuard(guard: StatementGuard, requestReview: RequestReview): FrontendGuard {
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
    const replacement = type === Frontend.Query ? serialize.query(REFUSED_TEXT) : serialize.parse({ name: readParse(buf, start, end).name, text: REFUSED_TEXT, types: [] });
    if ("refusal" in judgement) return { refusal: judgement.refusal, replacement };
    const review = requestReview(judgement.review, text);
    const hold: GuardHold["hold"] = {
      start: async (tellClient) => {
        const refusal = await review.start(tellClient);
        return refusal ? ({ refusal, replacement } satisfies GuardRefusal) : null;
      },
      cancel: review.cancel,
    };
    return { hold };
  };
}
