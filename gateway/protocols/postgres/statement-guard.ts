import { cacheKey, type StatementAnalyzer } from "../../sql/statement-analyzer";
import { classifyStatement, type Classification } from "../../policy/classify-statement";
import { evaluatePolicy, type Subject } from "../../policy/evaluate-policy";
import type { Policy } from "../../policy/policy";
import { PgError } from "./pg-error";
import { Frontend, SqlState } from "./message-codes";
import { serialize } from "pg-protocol";
import { readParse } from "./frontend-messages";
import type { FrontendGuard } from "./relay";

/** A refusal, with the kind of statement it refused (for the audit trail). */
export type Refusal = { error: PgError; kind: string };

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

  judge(text: string): Refusal | null {
    const policy = this.policy();
    if (!policy) return null;
    if (policy !== this.decidedFor) {
      this.decided.clear();
      this.decidedFor = policy;
    }
    // Numeric literals never change a decision unless a regex rule reads the text itself.
    const key = policy.rules.some((r) => r.match.regex !== undefined) ? text : cacheKey(text);
    const known = this.decided.get(key);
    if (known !== undefined) return known;
    const { refusal, stateful } = this.decide(policy, text);
    // PREPARE/EXECUTE depend on session state, so their texts are judged every time.
    if (!stateful) {
      if (this.decided.size >= 1000) this.decided.clear();
      this.decided.set(key, refusal);
    }
    return refusal;
  }

  private decide(policy: Policy, text: string): { refusal: Refusal | null; stateful: boolean } {
    let stateful = false;
    const analysis = this.analyzer.analyze(text);
    if (!analysis.ok) {
      if (text.trim() === "") return { refusal: null, stateful };
      return { stateful, refusal: { kind: "UNPARSEABLE", error: new PgError("ERROR", "42601", `Gatehouse refused a statement it could not parse: ${analysis.error}`) } };
    }
    for (const s of analysis.statements) {
      let c = classifyStatement(s);
      if (c.prepares) this.prepared.set(c.prepares, c);
      if (c.executes) c = { ...(this.prepared.get(c.executes) ?? c), kind: s.kind };
      if (c.prepares !== undefined || c.executes !== undefined) stateful = true;
      const d = evaluatePolicy(policy, this.who, c, s.text);
      if (d.action === "allow") continue;
      const message =
        d.action === "deny"
          ? `Gatehouse denied this statement: ${d.reason}`
          : `Gatehouse holds this statement for approval (${d.reason}), but approvals are not available yet, so it is refused`;
      return { stateful, refusal: { kind: s.kind, error: new PgError("ERROR", SqlState.InsufficientPrivilege, message, `statement: ${s.text.slice(0, 200)}`) } };
    }
    return { refusal: null, stateful };
  }
}

// What the target is sent in place of a refused text: it fails in the target's parser, runs nothing.
const REFUSED_TEXT = "GATEHOUSE_REFUSED_THIS_STATEMENT";

// FunctionCall of OID 0, no arguments, text result: the target answers "function does not exist".
const REFUSED_FUNCTION_CALL = Buffer.from([0x46, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The relay's hook: judges Query and Parse messages; a refusal carries the stand-in message for the target. */
export function frontendGuard(guard: StatementGuard): FrontendGuard {
  return (type, text, buf, start, end) => {
    if (!guard.active) return null;
    if (type === Frontend.FunctionCall) {
      // The fast-path call names a function by OID, with no SQL to judge: under a policy it is refused.
      const error = new PgError("ERROR", SqlState.InsufficientPrivilege, "Gatehouse refuses fast-path function calls on connections with a guardrail policy");
      return { refusal: { kind: "FUNCTION CALL", error }, replacement: REFUSED_FUNCTION_CALL };
    }
    const refusal = guard.judge(text);
    if (!refusal) return null;
    if (type === Frontend.Query) return { refusal, replacement: serialize.query(REFUSED_TEXT) };
    // A refused Parse keeps its statement name, so the client's later Bind/Close still line up.
    return { refusal, replacement: serialize.parse({ name: readParse(buf, start, end).name, text: REFUSED_TEXT, types: [] }) };
  };
}
