import type { Classification, StatementClass } from "../../core/policy/classify-statement";
import { analyzeMysql } from "../../core/policy/classify-mysql";
import type { Command } from "../../core/policy/command";
import { nonBuiltin } from "../../core/policy/mysql-routine-effects";
import { readsRows } from "../../core/policy/reads-rows";
import { firesEventTriggers } from "../../core/policy/pg-event-triggers";
import { addMysqlChanges, noChanges, withEarlierChanges } from "../../core/policy/text-changes";
import { writesOf } from "../../core/sql/mysql-writes";
import { possibleTables } from "../../core/policy/search-path";
import { PreparedStatements, SqlSession, sqlCommand, unnamedTables } from "../../core/policy/sql-commands";
import { evaluatePolicy, judgeCommands } from "../../core/policy/evaluate-policy";
import type { Policy } from "../../core/policy/policy";
import type { LockLevel } from "../../core/policy/lock-levels";
import { loadSqlParser, StatementAnalyzer, type ParsedStatement } from "../../core/sql/statement-analyzer";

export type StatementVerdict = {
  text: string;
  kind: string;
  classes: StatementClass[];
  tables: string[];
  functions: string[];
  /** The strongest table lock it takes (null: none). */
  locks: LockLevel | null;
  action: "allow" | "deny" | "review";
  rule: string | null;
  /** 1-based position of the deciding rule in the list, or null for the default. */
  position: number | null;
  reason: string;
  /** What the preview cannot judge of it (a MySQL call of a stored function, judged by its body on the data path). */
  note?: string;
};
export type TryResult =
  { parsed: false; error: string; verdict: "deny"; explanation: string } | { parsed: true; statements: StatementVerdict[]; verdict: "allow" | "deny" | "review"; explanation: string };

/**
 * What the gateway would do with `text` under `policy` (saved or not) for this identity: each
 * statement's kind, classes, tables, functions and deciding rule, and the verdict on the whole
 * text, taken with the gateway's own SQL session model and judge so the preview cannot drift from
 * the data path. `dialect`: the connection's, whose reader the gateway uses (a MySQL text is read
 * as the MySQL listener reads it: executable comments, backticks, its own statements).
 */
export async function tryStatement(policy: Policy, who: { name: string; groups: string[] }, text: string, dialect: "postgres" | "mysql" = "postgres"): Promise<TryResult> {
  if (dialect === "mysql") return tryMysql(policy, who, text);
  await loadSqlParser();
  const parsed = new SqlSession(new StatementAnalyzer()).commands(text);
  if (!parsed.ok) return { parsed: false, error: parsed.error, verdict: "deny", explanation: `refused (fail closed): the parser says ${parsed.error}` };
  const judged = parsed.statements.map(({ statement: s, classification: c, command }) => {
    const created = createdTable(s);
    return {
      text: s.text,
      kind: s.kind,
      classification: c,
      command,
      note: catalogNote(
        // A procedure is the target's own (PostgreSQL has no built-in ones): judged by its body on the data path.
        s.node === "CallStmt" ? c.functions.slice(0, 1) : [],
        (c.writes ?? []).map((w) => w.table),
        "triggers, rules, column defaults, a view's tables, cascading foreign keys",
        readsRows(c) ? c.tables.filter((t) => t !== created) : [],
        firesEventTriggers(c),
      ),
    };
  });
  return verdictOf(policy, who, judged, (reason) => `the gateway answers 42501 "Gatehouse denied this statement: ${reason}"`);
}

/** The table CREATE TABLE AS or SELECT INTO creates (named as written), which it does not read. */
function createdTable(s: ParsedStatement): string | undefined {
  const body = s.tree[s.node] as { into?: { rel?: RangeVar }; intoClause?: { rel?: RangeVar } } | undefined;
  const rel = body?.into?.rel ?? body?.intoClause?.rel;
  return rel ? [rel.schemaname, rel.relname].filter(Boolean).join(".") : undefined;
}
type RangeVar = { schemaname?: string; relname?: string };

/**
 * A MySQL text as the MySQL listener judges it (gateway/protocols/mysql/statement-guard.ts), without
 * what only a live session has: the target's catalog of stored functions (the gateway judges a call
 * of one by what its body runs: each statement that calls one says so) and the session's database (an
 * unqualified table may be in any, as on the data path while it is not known).
 */
function tryMysql(policy: Policy, who: { name: string; groups: string[] }, text: string): TryResult {
  const analysis = analyzeMysql(text);
  if (!analysis.ok) return { parsed: false, error: analysis.error, verdict: "deny", explanation: `refused (fail closed) with 1064: the parser says ${analysis.error}` };
  const prepared = new PreparedStatements();
  const changes = noChanges();
  const judged = analysis.statements.map((s) => {
    const resolved = prepared.resolve(s.classification, "EXECUTE");
    // A name an earlier statement of the text changes is judged as the gateway does: as code it cannot see.
    const c = withEarlierChanges(resolved, changes, (x) => nonBuiltin(x.functions)).classification;
    addMysqlChanges(resolved, s.executable, changes);
    const written = writesOf(c);
    const note = catalogNote(nonBuiltin(c.functions), written.events.length ? written.tables : [], "triggers, a view's tables, cascading foreign keys", readsRows(c) ? c.tables : []);
    const command = sqlCommand(c, s.original);
    // The session's database is not known here: an unqualified table may be in any (a deny or review rule on `shop.*` meets it, as on the data path before USE is read).
    const possible = [...possibleTables(c.tables, null), ...unnamedTables(c)];
    if (possible.length) command.possibleResources = possible;
    return { text: s.original, kind: c.kind, classification: c, command, note };
  });
  return verdictOf(policy, who, judged, (reason, kind) => `the gateway answers 1142 "Gatehouse denied this ${kind} statement: ${reason}"`);
}

/**
 * What the preview cannot judge of a statement, which the gateway reads from the target's catalog on
 * the data path: the bodies of the stored functions it calls, what the tables it writes set off, and
 * the tables under the relations it reads that are views, and (Postgres) what its DDL fires.
 */
function catalogNote(stored: string[], written: string[], hooks: string, named: string[], ddl = false): string | undefined {
  const parts: string[] = [];
  const bare = (t: string) => t.replace(/`/g, "").toLowerCase().split(".").at(-1);
  const read = [...new Set(named)].filter((t) => !written.some((w) => bare(w) === bare(t)));
  if (read.length) parts.push(`it reads ${read.join(", ")}: where ${read.length > 1 ? "one is a view" : "that is a view"}, the gateway also judges the tables under it and what its definition calls`);
  if (stored.length) parts.push(`it calls ${stored.join(", ")}, which ${stored.length > 1 ? "are" : "is"} no built-in: the gateway also judges what the body runs (a write meets the rules on writes)`);
  if (written.length) parts.push(`it writes ${[...new Set(written)].join(", ")}: the gateway also judges what the write sets off (${hooks})`);
  if (ddl) parts.push("it runs DDL: the gateway also judges what the target's event triggers run");
  return parts.length ? `${parts.join("; ")}, read from the target's catalog, which this preview does not read` : undefined;
}

function verdictOf(
  policy: Policy,
  who: { name: string; groups: string[] },
  judged: Array<{ text: string; kind: string; classification: Classification; command: Command; note?: string }>,
  denial: (reason: string, kind: string) => string,
): TryResult {
  const statements = judged.map(({ text, kind, classification: c, command, note }): StatementVerdict => ({
    ...judgedLine(policy, who, text, kind, command),
    classes: c.classes,
    tables: c.tables,
    functions: c.functions,
    locks: c.locks,
    ...(note ? { note } : {}),
  }));
  const verdict = judgeCommands(
    policy,
    who,
    judged.map((s) => s.command),
  );
  if (verdict.action === "allow") return { parsed: true, statements, verdict: "allow", explanation: "every statement is allowed" };
  if (verdict.action === "deny") return { parsed: true, statements, verdict: "deny", explanation: denial(verdict.decision.reason, verdict.command.kind) };
  const { decision, rule } = verdict;
  const approvers = rule?.approvers?.length ? `members of ${rule.approvers.join(", ")}` : "any approver";
  const wait = `${rule?.requiredApprovals ?? 1} approval(s) from ${approvers}`;
  return { parsed: true, statements, verdict: "review", explanation: `${decision.reason}; the whole text waits for ${wait}` };
}

/**
 * One line of a command-like try box (SSH commands, HTTP and Kubernetes requests, MCP tool calls):
 * how the policy decides `command`, shown with `kind`.
 */
export function judgedLine(policy: Policy, who: { name: string; groups: string[] }, text: string, kind: string, command: Command): StatementVerdict {
  const d = evaluatePolicy(policy, who, command);
  const index = d.rule === null ? -1 : policy.rules.findIndex((r) => r.name === d.rule);
  return { text, kind, classes: [], tables: [], functions: [], locks: null, action: d.action, rule: d.rule, position: index < 0 ? null : index + 1, reason: d.reason };
}

/** A line the box cannot read: refused, as the data path refuses what it cannot judge. */
export const unreadableLine = (text: string, reason: string): StatementVerdict => ({
  text,
  kind: "unreadable",
  classes: [],
  tables: [],
  functions: [],
  locks: null,
  action: "deny",
  rule: null,
  position: null,
  reason,
});

/** The non-empty lines of a try box's text, trimmed. */
export const linesOf = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** The verdict on lines judged one by one (the first refusal, else the first hold), told as the listener answers. */
export function verdictOfLines(statements: StatementVerdict[], say: { deny: (line: StatementVerdict) => string; review: (line: StatementVerdict) => string; allow: string }): TryResult {
  const denied = statements.find((s) => s.action === "deny");
  if (denied) return { parsed: true, statements, verdict: "deny", explanation: say.deny(denied) };
  const held = statements.find((s) => s.action === "review");
  if (held) return { parsed: true, statements, verdict: "review", explanation: say.review(held) };
  return { parsed: true, statements, verdict: "allow", explanation: say.allow };
}
