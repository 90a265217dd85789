import { classifyCommand } from "../../core/policy/classify-command";
import type { Policy } from "../../core/policy/policy";
import { judgedLine, linesOf, verdictOfLines, type TryResult } from "./try-statement";

/**
 * What the SSH listener would do with each command line under `policy`: the same classifier and
 * engine as the data path (`ssh host cmd`, and each line typed in a shell). Each kind lists the
 * program with its words, as `kinds` rules match them.
 */
export function tryCommand(policy: Policy, who: { name: string; groups: string[] }, text: string): TryResult {
  const statements = linesOf(text).map((line) => {
    const c = classifyCommand(line);
    return judgedLine(policy, who, line, [c.kind, ...c.runs].join(" · "), c);
  });
  return verdictOfLines(statements, {
    deny: (l) => `the client gets "Gatehouse denied this command: ${l.reason}" and exit status 1`,
    review: (l) => `${l.reason}; it waits for approval`,
    allow: "every command is allowed",
  });
}
