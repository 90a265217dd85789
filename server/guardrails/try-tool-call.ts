import { toolCallCommand } from "../../core/policy/mcp-tool-call";
import type { Policy } from "../../core/policy/policy";
import { judgedLine, linesOf, unreadableLine, verdictOfLines, type StatementVerdict, type TryResult } from "./try-statement";

/**
 * What the MCP listener would do with each tool call under `policy`: a line is the tool's name, then
 * its arguments as a JSON object (none: `{}`), judged as the same command the gateway builds for a
 * `tools/call` (kinds match the tool's name, `arguments` conditions its JSON pointers).
 */
export function tryToolCall(policy: Policy, who: { name: string; groups: string[] }, text: string): TryResult {
  const statements = linesOf(text).map((line): StatementVerdict => {
    const m = /^([^\s{]+)\s*(\{[\s\S]*\})?$/.exec(line);
    const args = m?.[2] === undefined ? {} : objectOf(m[2]);
    if (!m || args === null) return unreadableLine(line, "not a tool call: the tool's name, then its arguments as a JSON object");
    return judgedLine(policy, who, line, m[1], toolCallCommand({ tool: m[1], arguments: args }));
  });
  return verdictOfLines(statements, {
    deny: (l) => `the agent gets a tool error: "Gatehouse denied this tool call: ${l.reason}"`,
    review: (l) => `${l.reason}; the agent is told the call is pending approval, with a link, and the same call runs once approved`,
    allow: "every call goes to the upstream server",
  });
}

function objectOf(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
