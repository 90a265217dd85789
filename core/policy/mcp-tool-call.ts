import { wildcardPattern } from "./wildcard";
import { plainCommand, type Command } from "./command";
import { jsonPointer } from "./http-request";

/** What a rule can read of an MCP tool call besides its kind (the tool's name). */
export type ToolCallFacts = {
  tool: string;
  /** The call's arguments; undefined when judging whether the tool may be listed at all (no call yet). */
  arguments: Record<string, unknown> | undefined;
};

/**
 * A `tools/call` on an upstream MCP server as a neutral Command: its kind is the tool's name (what
 * `kinds` globs match: `delete_*`, `*`), its text `<tool> <arguments as JSON>` (what `regex` reads).
 */
export function toolCallCommand(facts: ToolCallFacts): Command {
  const text = facts.arguments === undefined ? facts.tool : `${facts.tool} ${JSON.stringify(facts.arguments)}`;
  return { ...plainCommand(text, facts.tool, "tool call"), toolCall: facts };
}

/** A rule's `kinds` entry against a tool's name: a `*` glob, case-insensitive, whole name. */
export const toolKindMatches = (tool: string, wanted: string): boolean => wildcardPattern(wanted).test(tool);

const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/**
 * A rule's `arguments` conditions (all must hold): JSON pointers into the call's arguments, each
 * value a `*` glob on the value's text (`{"/path": "/etc/*", "/force": "true"}`). A command that is
 * not a tool call never meets them, nor does a listing (no arguments yet): a tool denied only for
 * some arguments stays listed, and each call is judged with its own.
 */
export function toolConditionsHold(m: { arguments?: Record<string, string> }, c: Command): boolean {
  if (!m.arguments) return true;
  const args = c.toolCall?.arguments;
  if (args === undefined) return false;
  for (const [pointer, pattern] of Object.entries(m.arguments)) {
    const v = jsonPointer(args, pointer);
    if (v === undefined || !wildcardPattern(pattern, { dotAll: true }).test(asText(v))) return false;
  }
  return true;
}
