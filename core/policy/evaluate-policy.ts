import { wildcardPattern } from "./wildcard";
import { linearPattern } from "./linear-pattern";
import type { Command } from "./command";
import type { Policy, Rule } from "./policy";
import { atLeast } from "./lock-levels";
import { ANY_SETTING } from "./function-effects";
import { requestConditionsHold, requestKindMatches } from "./http-request";
import { kubernetesConditionsHold } from "./kubernetes-request";
import { toolConditionsHold, toolKindMatches } from "./mcp-tool-call";

export type Decision = { action: "allow" | "deny" | "review"; rule: string | null; reason: string };
export type Subject = { name: string; groups: string[] };

// A table pattern matches schema-qualified or bare names; `*` is a wildcard (`public.*`, `*.users`).
function tableMatches(pattern: string, table: string): boolean {
  const re = wildcardPattern(pattern);
  const bare = table.toLowerCase().split(".").at(-1)!;
  return re.test(table.toLowerCase()) || (!pattern.includes(".") && re.test(bare));
}

/**
 * A possible name (`billing.invoices`, or `*.invoices`: under any schema) against a pattern; `billing.*`
 * is every table of billing, `*` every table (schema_to_xml, database_to_xml).
 */
function possibleTableMatches(pattern: string, table: string): boolean {
  if (table === "*") return true;
  if (table.endsWith(".*")) return !pattern.includes(".") || wildcardPattern(pattern.split(".").slice(0, -1).join(".")).test(table.slice(0, -2).toLowerCase());
  if (!table.startsWith("*.")) return tableMatches(pattern, table);
  return wildcardPattern(pattern.split(".").at(-1)!).test(table.slice(2).toLowerCase());
}

/**
 * "DROP" matches "DROP TABLE"; a kind matches itself, case aside. For an HTTP request, a kind with a
 * path is a glob (`DELETE /v1/customers/*`, `* /admin/**`); a bare method (`DELETE`) matches by prefix.
 * For an MCP tool call, a kind is a glob on the whole tool name (`delete_*`).
 */
const kindMatches = (c: Command, kind: string, wanted: string) =>
  c.toolCall !== undefined
    ? toolKindMatches(kind, wanted)
    : c.request !== undefined && wanted.includes("/")
      ? requestKindMatches(kind, wanted)
      : kind.toUpperCase() === wanted.toUpperCase() || kind.toUpperCase().startsWith(wanted.toUpperCase() + " ");

const anyOf = <T>(wanted: T[] | undefined, test: (w: T) => boolean) => wanted === undefined || wanted.some(test);

/**
 * An allow rule's `kinds` and `tables` must cover everything the command does, not one part of it:
 * `{"action": "allow", "match": {"kinds": ["SELECT"]}}` does not let through a SELECT whose CTE
 * deletes or whose function writes (it runs a DELETE too), nor code whose runs are unknown; and
 * `{"tables": ["public.reports"]}` does not let through a join of reports with another table. (Deny
 * and review rules meet any part.) The tables are those the command names itself, so an allow rule
 * naming a view lets its readers through whatever is under it.
 */
const allowedKinds = (m: Rule["match"], c: Command) => vouched(m, c) && [c.kind, ...c.runs].every((kind) => m.kinds!.some((k) => kindMatches(c, kind, k)));
const allowedTables = (m: Rule["match"], c: Command) => {
  const named = c.namedResources ?? c.resources;
  return vouched(m, c) && named.length > 0 && named.every((t) => m.tables!.some((p) => tableMatches(p, t)));
};
/** Runs are known, or unknown only through calls of functions the rule names (which it vouches for: an extension's C function). */
const vouched = (m: Rule["match"], c: Command) => c.unknownRuns !== true || (c.unknownFrom !== undefined && c.unknownFrom.every((f) => (m.functions ?? []).some((w) => namesFunction(w, f))));
/** Whether a rule's function name `wanted` names the called `fn` (as written, or by its name without the schema). */
const namesFunction = (wanted: string, fn: string) => fn === wanted.toLowerCase() || fn.split(".").at(-1) === wanted.toLowerCase();

function ruleApplies(rule: Rule, who: Subject, c: Command): boolean {
  if (rule.groups && !rule.groups.some((g) => who.groups.includes(g))) return false;
  if (rule.identities && !rule.identities.includes(who.name)) return false;
  const m = rule.match;
  const allow = rule.action === "allow";
  return (
    anyOf(m.classes, (k) => c.classes.includes(k)) &&
    (allow
      ? m.kinds === undefined || allowedKinds(m, c)
      : anyOf(m.kinds, (k) => [c.kind, ...c.runs].some((kind) => kindMatches(c, kind, k))) ||
        c.unknownRuns === true ||
        (m.kinds ?? []).some((k) => (c.amountsTo?.kinds ?? []).some((kind) => kindMatches(c, kind, k)))) &&
    (allow
      ? m.tables === undefined || allowedTables(m, c)
      : anyOf(m.tables, (p) => c.resources.some((t) => tableMatches(p, t)) || (c.possibleResources ?? []).some((t) => possibleTableMatches(p, t)))) &&
    anyOf(m.functions, (f) => c.functions.some((g) => namesFunction(f, g))) &&
    (!m.writesWithoutWhere || c.writesWithoutWhere) &&
    (!m.copiesServerFile || c.copiesServerFile) &&
    (!m.copiesProgram || c.copiesProgram) &&
    // A setting named by an expression (set_config(name, ...)) may be any: deny and review rules meet it.
    anyOf(m.sessionSettings, (s) => c.sessionSettings.includes(s.toLowerCase()) || (rule.action !== "allow" && c.sessionSettings.includes(ANY_SETTING))) &&
    (m.locks === undefined || atLeast(c.locks, m.locks)) &&
    (m.regex === undefined || linearPattern(m.regex).test(c.text)) &&
    requestConditionsHold(m, c, rule.action) &&
    kubernetesConditionsHold(m, c, rule.action) &&
    toolConditionsHold(m, c)
  );
}

/** The first matching rule decides; otherwise the policy's default. Pure: usable for previews. */
export function evaluatePolicy(policy: Policy, who: Subject, c: Command): Decision {
  const what = c.noun === "statement" ? `${c.kind} statement` : c.noun;
  for (const rule of policy.rules) {
    if (ruleApplies(rule, who, c)) return { action: rule.action, rule: rule.name, reason: `rule "${rule.name}" matches this ${what}` };
  }
  return { action: policy.defaultAction, rule: null, reason: `no rule matches; the connection's default is ${policy.defaultAction}` };
}

/** The verdict on everything one client message asks for: a deny anywhere refuses it all; otherwise the first review holds it all. */
export type Verdict = { action: "allow" } | { action: "deny"; command: Command; decision: Decision } | { action: "review"; command: Command; decision: Decision; rule: Rule | undefined };

export function judgeCommands(policy: Policy, who: Subject, commands: Command[]): Verdict {
  let review: Verdict | undefined;
  for (const command of commands) {
    const decision = evaluatePolicy(policy, who, command);
    if (decision.action === "deny") return { action: "deny", command, decision };
    if (decision.action === "review") review ??= { action: "review", command, decision, rule: policy.rules.find((r) => r.name === decision.rule) };
  }
  return review ?? { action: "allow" };
}
