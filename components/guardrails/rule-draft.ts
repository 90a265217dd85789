import type { Policy, Rule } from "../../core/policy/policy";
import type { LockLevel } from "../../core/policy/lock-levels";

export const CLASSES = ["read", "write", "ddl", "privileges", "utility", "transaction", "session", "anonymous-code"] as const;
type Class = (typeof CLASSES)[number];

/** A rule as the form edits it: lists as comma-separated text, numbers as text. */
export type RuleDraft = {
  name: string;
  action: Rule["action"];
  groups: string;
  identities: string;
  classes: Class[];
  kinds: string;
  tables: string;
  functions: string;
  writesWithoutWhere: boolean;
  copiesServerFile: boolean;
  copiesProgram: boolean;
  sessionSettings: string;
  regex: string;
  /** Empty: any lock. */
  locks: LockLevel | "";
  /** HTTP request conditions as JSON, `{"query": {...}, "headers": {...}, "body": {"/pointer": "glob"}}`; empty: none. */
  request: string;
  /** MCP tool-call conditions as JSON, `{"/pointer": "glob"}` on the call's arguments; empty: none. */
  arguments: string;
  /** Kubernetes request conditions, comma-separated globs; empty: none. */
  verbs: string;
  resources: string;
  namespaces: string;
  names: string;
  approvers: string;
  requiredApprovals: string;
  timeoutSeconds: string;
};

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
const text = (xs?: string[]) => (xs ?? []).join(", ");

export const emptyRule = (n: number): RuleDraft => ({
  name: `rule-${n}`,
  action: "deny",
  groups: "",
  identities: "",
  classes: [],
  kinds: "",
  tables: "",
  functions: "",
  writesWithoutWhere: false,
  copiesServerFile: false,
  copiesProgram: false,
  sessionSettings: "",
  regex: "",
  locks: "",
  request: "",
  arguments: "",
  verbs: "",
  resources: "",
  namespaces: "",
  names: "",
  approvers: "",
  requiredApprovals: "",
  timeoutSeconds: "",
});

export function toDraft(r: Rule): RuleDraft {
  const m = r.match;
  return {
    name: r.name,
    action: r.action,
    groups: text(r.groups),
    identities: text(r.identities),
    classes: (m.classes ?? []) as Class[],
    kinds: text(m.kinds),
    tables: text(m.tables),
    functions: text(m.functions),
    writesWithoutWhere: Boolean(m.writesWithoutWhere),
    copiesServerFile: Boolean(m.copiesServerFile),
    copiesProgram: Boolean(m.copiesProgram),
    sessionSettings: text(m.sessionSettings),
    regex: m.regex ?? "",
    locks: m.locks ?? "",
    request: requestText(m),
    arguments: m.arguments ? JSON.stringify(m.arguments) : "",
    verbs: text(m.verbs),
    resources: text(m.resources),
    namespaces: text(m.namespaces),
    names: text(m.names),
    approvers: text(r.approvers),
    requiredApprovals: r.requiredApprovals ? String(r.requiredApprovals) : "",
    timeoutSeconds: r.timeoutSeconds ? String(r.timeoutSeconds) : "",
  };
}

/** A rule's request conditions as the form shows them (kept whole through an edit). */
function requestText(m: Rule["match"]): string {
  const c = Object.fromEntries(Object.entries({ query: m.query, headers: m.headers, body: m.body }).filter(([, v]) => v !== undefined));
  return Object.keys(c).length ? JSON.stringify(c) : "";
}

/**
 * The request conditions typed into the form. Text that is not a JSON object of query, headers and
 * body is kept as an unknown condition, so that the server refuses the rule (and says where) rather
 * than saving it without them.
 */
function requestConditions(text: string): Pick<Rule["match"], "query" | "headers" | "body"> {
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Pick<Rule["match"], "query" | "headers" | "body">;
  } catch {
    // refused below
  }
  return { request: text } as never;
}

/** The tool-call conditions typed into the form: text that is not a JSON object is kept as it is, for the server to refuse under its field. */
function argumentConditions(text: string): Pick<Rule["match"], "arguments"> {
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return { arguments: parsed as Record<string, string> };
  } catch {
    // refused below
  }
  return { arguments: text } as never;
}

/** The policy document the drafts describe; empty fields are left out (an absent condition matches anything). */
export function toPolicy(defaultAction: Policy["defaultAction"], drafts: RuleDraft[]): Policy {
  return {
    defaultAction,
    rules: drafts.map((d) => {
      const opt = <T>(cond: boolean, v: T) => (cond ? v : undefined);
      const match = {
        classes: opt(d.classes.length > 0, d.classes),
        kinds: opt(list(d.kinds).length > 0, list(d.kinds)),
        tables: opt(list(d.tables).length > 0, list(d.tables)),
        functions: opt(list(d.functions).length > 0, list(d.functions)),
        writesWithoutWhere: opt(d.writesWithoutWhere, true as const),
        copiesServerFile: opt(d.copiesServerFile, true as const),
        copiesProgram: opt(d.copiesProgram, true as const),
        sessionSettings: opt(list(d.sessionSettings).length > 0, list(d.sessionSettings)),
        regex: opt(d.regex.trim() !== "", d.regex.trim()),
        locks: opt(d.locks !== "", d.locks || undefined),
        ...requestConditions(d.request),
        ...argumentConditions(d.arguments),
        verbs: opt(list(d.verbs).length > 0, list(d.verbs)),
        resources: opt(list(d.resources).length > 0, list(d.resources)),
        namespaces: opt(list(d.namespaces).length > 0, list(d.namespaces)),
        names: opt(list(d.names).length > 0, list(d.names)),
      };
      const rule: Rule = {
        name: d.name.trim(),
        action: d.action,
        match: Object.fromEntries(Object.entries(match).filter(([, v]) => v !== undefined)) as Rule["match"],
        groups: opt(list(d.groups).length > 0, list(d.groups)),
        identities: opt(list(d.identities).length > 0, list(d.identities)),
        approvers: opt(d.action === "review" && list(d.approvers).length > 0, list(d.approvers)),
        requiredApprovals: opt(d.action === "review" && d.requiredApprovals !== "", Number(d.requiredApprovals)),
        timeoutSeconds: opt(d.action === "review" && d.timeoutSeconds !== "", Number(d.timeoutSeconds)),
      };
      return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined)) as Rule;
    }),
  };
}

const REQUEST_PARTS = new Set(["query", "headers", "body"]);

/**
 * Splits the server's field errors (`rules.2.regex`, `defaultAction`) into per-rule maps keyed by
 * the draft's field names, so each message shows under the control that caused it.
 */
export function errorsByRule(fields: Record<string, string>): { rules: Record<number, Record<string, string>>; policy: Record<string, string> } {
  const rules: Record<number, Record<string, string>> = {};
  const policy: Record<string, string> = {};
  for (const [key, message] of Object.entries(fields)) {
    const m = /^rules\.(\d+)\.(\w+)$/.exec(key);
    if (!m) policy[key] = message;
    // The form edits the HTTP request's query, headers and body conditions in one field.
    else rules[Number(m[1])] = { ...rules[Number(m[1])], [m[2] === "match" ? "name" : REQUEST_PARTS.has(m[2]) ? "request" : m[2]]: message };
  }
  return { rules, policy };
}

/** A rule with no scope and no condition decides every statement: worth a warning in the form. */
export const matchesEverything = (d: RuleDraft) => {
  const r = toPolicy("allow", [d]).rules[0];
  return !r.groups && !r.identities && Object.keys(r.match).length === 0;
};
