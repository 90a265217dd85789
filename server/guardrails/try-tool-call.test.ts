import { describe, expect, it } from "vitest";
import { policySchema } from "../../core/policy/policy";
import { toDraft, toPolicy } from "../../components/guardrails/rule-draft";
import { tryToolCall } from "./try-tool-call";

const policy = policySchema.parse({
  defaultAction: "allow",
  rules: [
    { name: "no-system-files", action: "deny", match: { kinds: ["write_file"], arguments: { "/path": "/etc/*" } } },
    { name: "hold-deletes", action: "review", match: { kinds: ["delete_*"] } },
  ],
});
const agent = { name: "agent", groups: [] };

describe("tryToolCall", () => {
  it("judges each line as the MCP listener judges a tools/call: the tool's name, its arguments by JSON pointer", () => {
    const r = tryToolCall(policy, agent, 'write_file {"path": "/tmp/x"}\ndelete_row {"id": 4}\nlist_tables');
    expect(r.parsed && r.statements.map((s) => [s.kind, s.action, s.rule])).toEqual([
      ["write_file", "allow", null],
      ["delete_row", "review", "hold-deletes"],
      ["list_tables", "allow", null],
    ]);
    expect(r.verdict).toBe("review");
    const denied = tryToolCall(policy, agent, 'write_file {"path": "/etc/passwd", "content": "x"}');
    expect(denied.explanation).toBe('the agent gets a tool error: "Gatehouse denied this tool call: rule "no-system-files" matches this tool call"');
  });
  it("refuses a line that is no tool call", () => {
    const r = tryToolCall(policy, agent, "write_file [1, 2]");
    expect(r.verdict).toBe("deny");
    expect(r.parsed && r.statements[0].kind).toBe("unreadable");
  });
});

describe("the rule form keeps a tool call's argument conditions", () => {
  it("through an edit: what the form saves is what was loaded", () => {
    // Before, the form had no field for them: a console save dropped them, so an allow rule scoped to some arguments allowed every call.
    const rule = policySchema.parse({ rules: [{ name: "read-public", action: "allow", match: { kinds: ["read_file"], arguments: { "/path": "/srv/public/*" } } }] }).rules[0];
    expect(toPolicy("deny", [toDraft(rule)]).rules[0]).toEqual(rule);
    // What is not a JSON object is kept as typed, for the server to refuse under the field (not saved without the condition).
    expect(toPolicy("deny", [{ ...toDraft(rule), arguments: "/path = x" }]).rules[0].match.arguments).toBe("/path = x");
  });
});
