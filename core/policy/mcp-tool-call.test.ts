import { describe, expect, it } from "vitest";
import { evaluatePolicy } from "./evaluate-policy";
import { policySchema } from "./policy";
import { toolCallCommand } from "./mcp-tool-call";

const policy = policySchema.parse({
  defaultAction: "allow",
  rules: [
    { name: "no-forced-deletes", action: "deny", match: { kinds: ["delete_*"], arguments: { "/force": "true" } } },
    { name: "no-etc", action: "deny", match: { kinds: ["read_file"], arguments: { "/path": "/etc/*" } } },
    { name: "deletes-reviewed", action: "review", match: { kinds: ["delete_*"] } },
    { name: "no-shell", action: "deny", match: { kinds: ["run_shell"] } },
  ],
});
const who = { name: "a", groups: [] };
const judge = (tool: string, args?: Record<string, unknown>) => evaluatePolicy(policy, who, toolCallCommand({ tool, arguments: args }));

describe("MCP tool calls in policies", () => {
  it("matches kinds as globs on the whole tool name, not by prefix", () => {
    expect(judge("delete_record", { id: "1" })).toMatchObject({ action: "review", rule: "deletes-reviewed" });
    expect(judge("undelete_record", { id: "1" }).action).toBe("allow");
    expect(judge("run_shell_safely", {}).action).toBe("allow");
    expect(judge("RUN_SHELL", {})).toMatchObject({ action: "deny", reason: 'rule "no-shell" matches this tool call' });
  });

  it("reads arguments by JSON pointer, each a glob on the value's text", () => {
    expect(judge("delete_record", { id: "1", force: true })).toMatchObject({ action: "deny", rule: "no-forced-deletes" });
    expect(judge("read_file", { path: "/etc/shadow" })).toMatchObject({ action: "deny", rule: "no-etc" });
    expect(judge("read_file", { path: "/home/a/etc/x" }).action).toBe("allow");
    expect(judge("read_file", { other: "/etc/x" }).action).toBe("allow");
  });

  it("judges a listing (no arguments yet) by name alone: argument rules do not hide a tool", () => {
    expect(judge("read_file").action).toBe("allow");
    expect(judge("run_shell").action).toBe("deny");
  });

  it("refuses an argument condition that is not a JSON pointer", () => {
    expect(policySchema.safeParse({ rules: [{ name: "x", action: "deny", match: { arguments: { force: "true" } } }] }).success).toBe(false);
  });
});
