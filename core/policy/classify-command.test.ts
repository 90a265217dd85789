import { describe, expect, it } from "vitest";
import { classifyCommand } from "./classify-command";
import { evaluatePolicy } from "./evaluate-policy";
import { policySchema } from "./policy";

const all = (line: string) => {
  const c = classifyCommand(line);
  return [c.kind, ...c.runs];
};

describe("classifyCommand", () => {
  it("names each simple command by its program and non-option words", () => {
    expect(all("rm -rf /tmp/x")).toEqual(["RM /TMP/X"]);
    expect(all("ls -la; kubectl -n prod delete pod web-1 && echo done | tee log")).toEqual([
      "LS",
      "KUBECTL PROD DELETE POD WEB-1",
      "KUBECTL DELETE POD WEB-1",
      "KUBECTL POD WEB-1",
      "KUBECTL WEB-1",
      "ECHO DONE",
      "TEE LOG",
    ]);
  });

  it("sees through wrappers, paths, assignments, shells and substitutions", () => {
    expect(all("sudo -u root /bin/rm -r /var/x")).toContain("RM /VAR/X");
    expect(all("FOO=1 env -i nohup \\rm x")).toContain("RM X");
    expect(all(`bash -c "cd /srv && rm -rf data"`)).toContain("RM DATA");
    expect(all("echo $(shutdown -h now)")).toContain("SHUTDOWN NOW");
    expect(all("timeout 5 shutdown -r")).toContain("SHUTDOWN");
    expect(all("find . -name x | xargs -0 rm")).toContain("RM");
  });

  it("sees what bash would run: a shell's single command, eval, find -exec, reserved words, brace lists, wrapper option values", () => {
    for (const line of [
      "bash -c 'rm -rf /x'",
      "sh -lc 'rm -rf /x'",
      "eval rm -rf /x",
      "eval 'rm -rf /x'",
      "find /srv -name '*.log' -exec rm -f {} +",
      "find /srv -execdir rm {} \\;",
      "if true; then rm -rf /x; fi",
      "for f in /x; do rm -rf $f; done",
      "{ rm -rf /x; }",
      "! rm -rf /x",
      "{rm,-rf,/x}",
      "nice -n 10 rm -rf /x",
      "ionice -c 3 rm /x",
      "timeout -s KILL 5 rm /x",
      "chroot /srv rm /x",
      "xargs -I {} rm {}",
    ])
      expect(
        all(line).some((k) => k === "RM" || k.startsWith("RM ")),
        line,
      ).toBe(true);
    expect(all("sudo -u root rm -rf /var/lib/data")).toEqual(["RM /VAR/LIB/DATA"]);
  });

  it("says when the program cannot be told from the text: a variable, a substitution, a glob, a script on a shell's input", () => {
    for (const line of [
      "$cmd -rf /x",
      "rm${IFS}-rf${IFS}/x",
      "$(echo rm) -rf /x",
      "/bin/r? -rf /x",
      "/bin/r[m] -rf /x",
      "/bin/[[[r[m] -rf /x",
      "echo 'rm -rf /x' | sh",
      "base64 -d < x | bash",
      "bash <<< 'rm -rf /x'",
      "sh < script.sh",
      "cat x | bash -s -- arg",
    ])
      expect(classifyCommand(line).unknownRuns, line).toBe(true);
    // A shell typed at a terminal reads what is typed next, which is judged line by line too; piped or redirected, it does not.
    for (const line of ["bash", "sudo bash -l", "cd /srv && sh"]) expect(classifyCommand(line, 0, { terminal: true }).unknownRuns, line).toBeUndefined();
    for (const line of ["echo 'rm -rf /x' | bash", "bash < x.sh", "bash <<< 'rm x'"]) expect(classifyCommand(line, 0, { terminal: true }).unknownRuns, line).toBe(true);
    expect(classifyCommand("bash").unknownRuns).toBe(true); // an exec's stdin is not judged
    for (const line of ["rm -rf /x", "bash deploy.sh", "ls *.txt", "echo $HOME", "bash -c 'ls'", "echo on-$((6*7))", "x=$(( 1 + 2 )); echo $x"])
      expect(classifyCommand(line).unknownRuns, line).toBeUndefined();
  });

  it("feeds the shared policy engine: kinds rules match commands", () => {
    const policy = policySchema.parse({
      rules: [
        { name: "no-rm", action: "deny", match: { kinds: ["rm", "kubectl delete"] } },
        { name: "hold-shutdown", action: "review", match: { kinds: ["shutdown", "reboot"] } },
      ],
    });
    const who = { name: "agent", groups: [] };
    const judge = (line: string) => evaluatePolicy(policy, who, classifyCommand(line)).action;
    expect(judge("ls /tmp")).toBe("allow");
    expect(judge("sudo rm -rf /")).toBe("deny");
    expect(judge("kubectl get pods; kubectl delete ns prod")).toBe("deny");
    expect(judge("kubectl --context prod -n web delete deployment api")).toBe("deny");
    expect(judge("kubectl get deployments")).toBe("allow");
    expect(judge("sh -c 'sleep 1; shutdown -h now'")).toBe("review");
    expect(judge("echo rm is a word")).toBe("allow");
    // A program the text does not name meets deny and review kinds rules, not allow rules.
    expect(judge("$cmd -rf /")).toBe("deny");
    expect(evaluatePolicy(policySchema.parse({ defaultAction: "review", rules: [{ name: "ls-ok", action: "allow", match: { kinds: ["ls"] } }] }), who, classifyCommand("$cmd /tmp")).action).toBe(
      "review",
    );
  });
});

describe("classifyCommand on a word built to make a pattern backtrack", () => {
  // A stall, not a speed figure: `/\[.*\]/` retried from each `[` of the word (64,000 of them: seconds).
  it("reads a program word of thousands of brackets in one pass", () => {
    const started = performance.now();
    expect(classifyCommand(`${"[".repeat(200_000)} -rf /x`).unknownRuns).toBeUndefined();
    expect(classifyCommand(`${"[".repeat(200_000)}] -rf /x`).unknownRuns).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
