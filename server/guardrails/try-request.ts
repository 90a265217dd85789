import { evaluatePolicy } from "../../core/policy/evaluate-policy";
import { normalisePath, requestCommand, UNREAD, type HttpRequestFacts } from "../../core/policy/http-request";
import type { Policy } from "../../core/policy/policy";
import type { StatementVerdict, TryResult } from "./try-statement";

/**
 * What the HTTP proxy would do with each request line under `policy`: `METHOD /path?query`,
 * optionally followed by a JSON body, judged with the same path normalisation, command and engine as
 * the data path. A path the gateway would refuse as ambiguous (`..`, bad encoding) is refused here too.
 */
export function tryRequest(policy: Policy, who: { name: string; groups: string[] }, text: string): TryResult {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const statements = lines.map((line): StatementVerdict => {
    const m = /^([A-Za-z]+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    const target = m ? new URL(m[2], "http://gateway") : null;
    const path = target ? normalisePath(target.pathname) : null;
    const base = { text: line, classes: [], tables: [], functions: [], locks: null };
    if (!m || !target || path === null)
      return { ...base, kind: "unreadable", action: "deny", rule: null, position: null, reason: "not a request line (METHOD /path), or an ambiguous path the gateway refuses (400)" };
    const query: Record<string, string[]> = {};
    for (const [k, v] of target.searchParams) (query[k] ??= []).push(v);
    const facts: HttpRequestFacts = { method: m[1].toUpperCase(), path, query, headers: {}, body: bodyOf(m[3]) };
    const c = requestCommand(facts, `${facts.method} ${target.pathname}${target.search}`);
    const d = evaluatePolicy(policy, who, c);
    const index = d.rule === null ? -1 : policy.rules.findIndex((r) => r.name === d.rule);
    return { ...base, kind: c.kind, action: d.action, rule: d.rule, position: index < 0 ? null : index + 1, reason: d.reason };
  });
  const denied = statements.find((s) => s.action === "deny");
  if (denied) return { parsed: true, statements, verdict: "deny", explanation: `the client gets 403 {"error": "refused"}: ${denied.reason}` };
  const held = statements.find((s) => s.action === "review");
  if (held) return { parsed: true, statements, verdict: "review", explanation: `${held.reason}; it waits for approval, then is forwarded as received` };
  return { parsed: true, statements, verdict: "allow", explanation: "every request is forwarded" };
}

function bodyOf(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return UNREAD;
  }
}
