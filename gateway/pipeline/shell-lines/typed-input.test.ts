import { describe, expect, it } from "vitest";
import type { CommandGuard, CommandVerdict } from "./command-guard";
import { TypedInput } from "./typed-input";

/**
 * A guard that holds every line until the client withdraws it. The end-to-end tests run this with
 * OpenSSH against a real shell; what they cannot set up is a login shell slow to start (it would
 * mean changing the machine user's shell), which is where a Ctrl-C passed on to the terminal killed
 * the shell: this test pins the bytes the shell gets instead.
 */
function holdingGuard(): CommandGuard {
  const verdict: CommandVerdict = {
    action: "review",
    kind: "other",
    run: async (_tell, _cancelled, withdrawn) => {
      await withdrawn;
      return "Gatehouse did not run this command: cancelled by the client";
    },
  };
  return { active: true, judge: () => verdict } as unknown as CommandGuard;
}

function shell() {
  const toShell: string[] = [];
  const audits: string[] = [];
  const typed = new TypedInput(
    {
      toShell: (b) => toShell.push(b.toString()),
      toTerminal: () => {},
      toStderr: () => {},
      writable: () => true,
      clientGone: () => new Promise(() => {}),
      guard: holdingGuard(),
      audit: (e) => audits.push(`${e.outcome} ${e.statement}`),
    },
    true,
    "ssh host cmd",
  );
  return { typed, toShell, audits };
}

const settled = () => new Promise((r) => setTimeout(r, 20));

describe("TypedInput in a terminal", () => {
  it("on Ctrl-C under a held line, clears the shell's line and asks for a prompt without signalling it; typeahead up to the key is dropped", async () => {
    const { typed, toShell, audits } = shell();
    typed.push(Buffer.from("touch x\r"));
    await settled();
    expect(toShell.join("")).toBe("touch x");
    typed.push(Buffer.from("dropped\x03kept"));
    await settled();
    expect(toShell.join("")).toBe("touch x\x15\rkept");
    expect(toShell.join("")).not.toContain("\x03");
    expect(audits).toEqual(["denied touch x"]);
  });

  it("on Ctrl-D under a held line, clears the shell's line and ends its input", async () => {
    const { typed, toShell } = shell();
    typed.push(Buffer.from("touch x\r\x04"));
    await settled();
    expect(toShell.join("")).toBe("touch x\x15\x04");
  });
});

describe("TypedInput's guard", () => {
  it("judges a line as typed into a shell: a bare shell started there reads lines that are judged too", async () => {
    const asked: Array<{ line: string; typed?: boolean }> = [];
    const guard = { active: true, judge: (line: string, opts: { typed?: boolean } = {}) => (asked.push({ line, typed: opts.typed }), { action: "allow", kind: "x" }) } as unknown as CommandGuard;
    const typed = new TypedInput(
      { toShell: () => {}, toTerminal: () => {}, toStderr: () => {}, writable: () => true, clientGone: () => new Promise(() => {}), guard, audit: () => {} },
      true,
      "ssh host",
    );
    typed.push(Buffer.from("bash\r"));
    await settled();
    expect(asked).toEqual([{ line: "bash", typed: true }]);
  });
});

describe("TypedInput at a password prompt", () => {
  function atPrompt(verdict: CommandVerdict["action"]) {
    const toShell: string[] = [];
    const audits: Array<{ outcome: string; statement: string | null; kind?: string; message: string | null }> = [];
    const judged: string[] = [];
    let prompt = false;
    const guard = {
      active: true,
      judge: (line: string) => {
        judged.push(line);
        return verdict === "review"
          ? { action: "review", kind: line.split(" ")[0], run: async () => null }
          : verdict === "deny"
            ? { action: "deny", kind: line, message: "Gatehouse denied this command: no" }
            : { action: "allow", kind: line };
      },
    } as unknown as CommandGuard;
    const typed = new TypedInput(
      {
        toShell: (b) => toShell.push(b.toString()),
        toTerminal: () => {},
        toStderr: () => {},
        writable: () => true,
        clientGone: () => new Promise(() => {}),
        guard,
        audit: (e) => audits.push({ outcome: e.outcome, statement: e.statement, kind: e.statementKind, message: e.message }),
        atSecretPrompt: () => prompt,
      },
      true,
      "ssh host cmd",
    );
    return { typed, toShell, audits, judged, prompt: (on: boolean) => (prompt = on) };
  }

  it("judges the line typed there but audits neither its text nor its kind; the next line is audited as usual", async () => {
    const t = atPrompt("allow");
    t.prompt(true);
    t.typed.push(Buffer.from("hunt"));
    t.typed.push(Buffer.from("er2\rls -l\r"));
    await settled();
    expect(t.toShell.join("")).toBe("hunter2\rls -l\r");
    expect(t.judged).toEqual(["hunter2", "ls -l"]);
    expect(t.audits).toEqual([
      { outcome: "ok", statement: null, kind: undefined, message: "typed at a password prompt: not stored" },
      { outcome: "ok", statement: "ls -l", kind: "ls -l", message: null },
    ]);
    expect(JSON.stringify(t.audits)).not.toContain("hunter2");
  });

  it("refuses a line a rule would hold (the approver would see the secret), and one a rule denies, without its text", async () => {
    for (const verdict of ["review", "deny"] as const) {
      const t = atPrompt(verdict);
      t.prompt(true);
      t.typed.push(Buffer.from("hunter2\r"));
      await settled();
      expect(t.toShell.join("")).toBe("hunter2\x15\r");
      expect(t.audits).toHaveLength(1);
      expect(t.audits[0]).toMatchObject({ outcome: "denied", statement: null, kind: undefined });
      expect(t.audits[0].message).toMatch(/^typed at a password prompt: not stored; /);
      expect(JSON.stringify(t.audits)).not.toContain("hunter2");
    }
  });

  it("audits a line as typed when the prompt is gone before its input arrives", async () => {
    const t = atPrompt("allow");
    t.prompt(false);
    t.typed.push(Buffer.from("echo Password:\r"));
    await settled();
    expect(t.audits).toEqual([{ outcome: "ok", statement: "echo Password:", kind: "echo Password:", message: null }]);
  });
});
