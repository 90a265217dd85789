import { analyzeMysql, type MysqlStatement } from "../../../core/policy/classify-mysql";
import type { Classification } from "../../../core/policy/classify-statement";
import { judgeCommands, type Subject, type Verdict } from "../../../core/policy/evaluate-policy";
import { sqlCommand } from "../../../core/policy/sql-commands";
import type { Policy } from "../../../core/policy/policy";
import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import { referenceCovered, type SessionMasking } from "../../../core/masking/compile-rules";
import { MASKED_SHAPE } from "../../../core/masking/value-masker";

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
  private readonly prepared = new Map<string, Classification>();

  constructor(
    private readonly policy: () => Policy | null,
    private readonly who: Subject,
    /** The target's version as executable comments compare it (undefined: every one is opened). */
    private readonly serverVersion?: number,
  ) {}

  judge(text: string): Judgement {
    const policy = this.policy();
    if (!policy) return null;
    const analysis = analyzeMysql(text, this.serverVersion);
    if (!analysis.ok) {
      if (text.trim() === "") return null;
      return {
        kind: "UNPARSEABLE",
        refusal: new MysqlError(Err.ParseError, `Gatehouse refused a statement it could not parse: ${analysis.error}. This connection has guardrails, so what they cannot judge does not run`),
      };
    }
    const commands = analysis.statements.map((s) => sqlCommand(this.resolve(s), s.original));
    const verdict = judgeCommands(policy, this.who, commands);
    if (verdict.action === "allow") return null;
    if (verdict.action === "review") return { review: verdict };
    const { command, decision } = verdict;
    return { kind: command.kind, refusal: new MysqlError(Err.TableAccessDenied, `Gatehouse denied this ${command.kind} statement: ${decision.reason}`) };
  }

  /** An EXECUTE is what its PREPARE prepared (in this text or earlier in the session). */
  private resolve(s: MysqlStatement): Classification {
    const c = s.classification;
    if (c.prepares) this.prepared.set(c.prepares, c);
    if (c.executes) return { ...(this.prepared.get(c.executes) ?? c), kind: "EXECUTE" };
    return c;
  }
}

/** The kinds of a text's statements, for the audit (UNPARSEABLE when it cannot be read). */
export function statementsOf(text: string, serverVersion?: number): Array<{ text: string; kind: string }> {
  const analysis = analyzeMysql(text, serverVersion);
  if (!analysis.ok) return [{ text, kind: text.trim() === "" ? "EMPTY" : "UNPARSEABLE" }];
  if (analysis.statements.length === 0) return [{ text, kind: "EMPTY" }];
  return analysis.statements.map((s) => ({ text: s.original, kind: s.classification.kind }));
}

/**
 * A write that would store what masking showed (`[REDACTED]`, a token, `****1234`) into a table a
 * column rule covers: refused, since writing the masked form back would destroy the real value.
 * By the statement's tables, not its columns (over-refusing rather than under); values bound to a
 * prepared statement's parameters are not inspected.
 */
export function maskedWriteRefusal(masking: SessionMasking | null, text: string, serverVersion?: number): { refusal: MysqlError; kind: string } | null {
  if (!masking || masking.columns.length === 0 || !MASKED_SHAPE.test(text)) return null;
  const analysis = analyzeMysql(text, serverVersion);
  if (!analysis.ok) return null;
  for (const s of analysis.statements) {
    const c = s.classification;
    if (!c.classes.includes("write") || !MASKED_SHAPE.test(s.executable)) continue;
    const table = c.tables.find((t) => referenceCovered(masking, t, "*"));
    if (table) return { kind: c.kind, refusal: new MysqlError(Err.TableAccessDenied, `Gatehouse refused this ${c.kind}: it writes a masked value into ${table}, whose columns are masked for you`) };
  }
  return null;
}
