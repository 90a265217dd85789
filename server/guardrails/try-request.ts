import { normalisePath, requestCommand, UNREAD, type HttpRequestFacts } from "../../core/policy/http-request";
import type { Policy } from "../../core/policy/policy";
import { judgedLine, linesOf, unreadableLine, verdictOfLines, type StatementVerdict, type TryResult } from "./try-statement";

/**
 * What the HTTP proxy would do with each request line under `policy`: `METHOD /path?query`,
 * optionally followed by a JSON body, judged with the same path normalisation, command and engine as
 * the data path. A path the gateway would refuse as ambiguous (`..`, bad encoding) is refused here too.
 */
export function tryRequest(policy: Policy, who: { name: string; groups: string[] }, text: string): TryResult {
  const statements = linesOf(text).map((line): StatementVerdict => {
    const m = /^([A-Za-z]+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    const target = m ? new URL(m[2], "http://gateway") : null;
    const path = target ? normalisePath(target.pathname) : null;
    if (!m || !target || path === null) return unreadableLine(line, "not a request line (METHOD /path), or an ambiguous path the gateway refuses (400)");
    const query: Record<string, string[]> = {};
    for (const [k, v] of target.searchParams) (query[k] ??= []).push(v);
    const facts: HttpRequestFacts = { method: m[1].toUpperCase(), path, query, headers: {}, body: bodyOf(m[3]) };
    const c = requestCommand(facts, `${facts.method} ${target.pathname}${target.search}`);
    return judgedLine(policy, who, line, c.kind, c);
  });
  return verdictOfLines(statements, {
    deny: (l) => `the client gets 403 {"error": "refused"}: ${l.reason}`,
    review: (l) => `${l.reason}; it waits for approval, then is forwarded as received`,
    allow: "every request is forwarded",
  });
}

function bodyOf(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return UNREAD;
  }
}
