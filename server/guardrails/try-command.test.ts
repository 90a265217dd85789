import { describe, expect, it } from "vitest";
import { policySchema } from "../../core/policy/policy";
import { tryCommand } from "./try-command";

describe("tryCommand", () => {
  const policy = policySchema.parse({
    rules: [
      { name: "no-rm", action: "deny", match: { kinds: ["rm"] } },
      { name: "hold-reboot", action: "review", match: { kinds: ["reboot"] } },
    ],
  });
  it("judges each line with the SSH listener's classifier and engine", () => {
    const r = tryCommand(policy, { name: "agent", groups: [] }, "ls -la\nsudo reboot");
    expect(r.verdict).toBe("review");
    expect(r.parsed && r.statements.map((s) => [s.kind, s.action])).toEqual([
      ["LS", "allow"],
      ["REBOOT", "review"],
    ]);
    expect(tryCommand(policy, { name: "agent", groups: [] }, "find / -name x | xargs rm").verdict).toBe("deny");
  });
});
