import type { ClientChannel, ServerChannel } from "ssh2";
import { closedByClient, fail, openOnTarget, recorderOr, targetOr, track } from "./channel-common";
import { ShellInput } from "./shell-input";
import { audit, bridge, type PtyRequest, type SshSession } from "./ssh-session";

const CTRL_C = 0x03;
const CTRL_D = 0x04;

/**
 * An interactive shell on the target, bridged: each line typed is judged when Enter is pressed
 * (best effort, see ShellInput), and a held line waits for its review with the input behind it.
 */
export async function runShell(
  stream: ServerChannel,
  s: SshSession,
  pty: PtyRequest | undefined,
  env: Record<string, string>,
  opened: (t: ClientChannel, resize: (c: number, r: number) => void) => void,
): Promise<void> {
  const untrack = track(stream, s);
  const client = await targetOr(stream, s);
  if (!client) return;
  let t: ClientChannel;
  try {
    t = await openOnTarget((cb) => client.shell(pty ?? false, { env: env as NodeJS.ProcessEnv }, cb));
  } catch (err) {
    return fail(stream, `gatehouse: the target refused a shell: ${(err as Error).message}`, 255);
  }
  const rec = await recorderOr(stream, s, pty);
  if (rec === undefined) return t.close();
  opened(t, (cols, rows) => rec?.resize(cols, rows));
  audit(s, { action: "ssh.shell", outcome: "ok", message: pty ? `terminal ${pty.term ?? ""} ${pty.cols}x${pty.rows}` : "shell without a terminal" });
  const decoder = new TextDecoder();
  const typed = new TypedInput(stream, t, s, !!pty);
  stream.on("data", (data: Buffer) => {
    s.bytes.in += data.length;
    rec?.input(decoder.decode(data, { stream: true }));
    typed.push(data);
  });
  stream.on("end", () => void typed.ended().then(() => t.end()));
  await bridge(stream, t, s, { maskOutput: true, output: rec ? (b) => rec.output(decoder.decode(b, { stream: true })) : undefined });
  untrack();
}

/** The first Ctrl-C or Ctrl-D in some input, or 0. */
function withdrawKey(data: Buffer): number {
  for (const b of data) if (b === CTRL_C || b === CTRL_D) return b;
  return 0;
}

/**
 * The client's keystrokes on their way to the target's shell. Input waits while a typed line is
 * held for review, so keystrokes keep their order. In a terminal (a pty was asked for), Ctrl-C
 * typed while a line is held withdraws its review (cancelled by the client), and the shell gets the
 * Ctrl-C: the line is dropped and a fresh prompt comes. Ctrl-D likewise withdraws the review, then
 * reaches the shell on an emptied line, which ends it as Ctrl-D at a prompt does: someone pressing
 * Ctrl-D wants out, and a command they no longer wait for must not stay held (or run) behind them.
 * Whatever was typed between Enter and the key is dropped, as a terminal's Ctrl-C drops typeahead.
 */
class TypedInput {
  private readonly lines: ShellInput;
  private readonly pending: Buffer[] = [];
  // Without a terminal, the bytes of a line wait for its Enter: the shell reads them as sent, with no
  // line editor that a Ctrl-U could clear, so a refused line must never reach it.
  private unjudged: Buffer[] = [];
  private pumping: Promise<void> | null = null;
  private held: { withdraw: (key: number) => void } | null = null;

  constructor(
    private readonly stream: ServerChannel,
    private readonly t: ClientChannel,
    private readonly s: SshSession,
    private readonly terminal: boolean,
  ) {
    this.lines = new ShellInput(!terminal);
  }

  push(data: Buffer): void {
    if (this.held && this.terminal) {
      const key = withdrawKey(data);
      if (key) this.held.withdraw(key);
    }
    this.pending.push(data);
    this.pumping ??= this.pump().finally(() => (this.pumping = null));
  }

  /** The end of the client's input: once all of it is judged, a last line without Enter too (the shell runs it at the end). */
  async ended(): Promise<void> {
    await (this.pumping ?? Promise.resolve());
    const bytes = Buffer.concat(this.unjudged.splice(0));
    if (!bytes.length) return;
    const last = this.lines.unfinished;
    if (!last?.text.trim() || !this.s.guard.active || !(await this.judge(last.text)).refused) this.t.write(bytes);
  }

  private async pump(): Promise<void> {
    for (let data = this.pending.shift(); data; data = this.pending.shift()) await this.forward(data).catch(() => {});
  }

  private async forward(data: Buffer): Promise<void> {
    const { s, t } = this;
    if (!s.guard.active) {
      if (this.unjudged.length) t.write(Buffer.concat(this.unjudged.splice(0)));
      for (const part of this.lines.feed(data))
        if (part.line?.text.trim())
          audit(s, { action: "command", outcome: "ok", statement: part.line.text, message: part.line.edited ? "line edited with history or completion: recorded as typed" : null });
      t.write(data);
      return;
    }
    const parts = this.lines.feed(data);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const text = part.line?.text;
      if (!this.terminal) {
        this.unjudged.push(part.bytes);
        if (!part.line) continue;
        const line = Buffer.concat(this.unjudged.splice(0));
        if (!text?.trim() || !(await this.judge(text)).refused) t.write(line);
        continue;
      }
      if (!part.line || !text?.trim()) {
        t.write(part.bytes);
        continue;
      }
      if (part.line.edited) {
        // The shell knows the real line, the gateway does not: run it, and say so in the audit.
        audit(s, {
          action: "command",
          outcome: "ok",
          statement: text,
          message: "line edited with history or completion: not judged (shell guardrails are best effort; use ssh host cmd for enforced rules)",
        });
        t.write(part.bytes);
        continue;
      }
      // A Ctrl-C or Ctrl-D typed right after Enter, in the same burst or not yet forwarded, counts as well.
      const { refused, key } = await this.judge(text, withdrawKey(Buffer.concat([...parts.slice(i + 1).map((p) => p.bytes), ...this.pending])));
      if (!refused) {
        t.write(part.bytes);
        continue;
      }
      if (key) return this.dropThrough(key, parts.slice(i + 1));
      // Clear the line the shell holds (Ctrl-U) and ask for a new prompt, instead of Enter.
      t.write("\x15\r");
    }
  }

  /**
   * Judges a line (holding it for review when a rule says so) and audits it; tells the client why a
   * refused one does not run. `key`: the Ctrl-C or Ctrl-D that withdrew its review, if one did.
   */
  private async judge(text: string, typedAhead = 0): Promise<{ refused: string | null; key: number }> {
    const { s, stream } = this;
    // Without a terminal, output may be a script's data: the gateway's lines go to stderr, uncoloured.
    const say = (line: string, colour: number, end = "\r\n") =>
      this.terminal ? stream.writable && stream.write(`\r\n\x1b[${colour}mgatehouse: ${line}\x1b[0m${end}`) : stream.writable && stream.stderr.write(`gatehouse: ${line}\n`);
    const v = s.guard.judge(text);
    let refused: string | null = v.action === "deny" ? v.message : null;
    let key = 0;
    if (v.action === "review") {
      const withdrawn = new Promise<void>((resolve) => (this.held = { withdraw: (k) => ((key ||= k), resolve()) }));
      if (this.terminal && typedAhead) this.held!.withdraw(typedAhead);
      refused = await v.run((line) => say(line, 33, ""), closedByClient(stream, s), withdrawn);
      this.held = null;
      if (!refused && this.terminal && stream.writable) stream.write("\r\n");
    }
    audit(s, { action: "command", outcome: refused ? "denied" : "ok", statement: text, statementKind: v.kind, message: refused });
    if (refused) say(refused, 31);
    return { refused, key: refused ? key : 0 };
  }

  /**
   * After a withdrawal: the input up to the key that withdrew is dropped, the rest is read afresh,
   * and the shell gets the key (Ctrl-C: its own fresh prompt; Ctrl-D after Ctrl-U: the end of input).
   */
  private dropThrough(key: number, after: Array<{ bytes: Buffer }>): void {
    const rest = Buffer.concat([...after.map((p) => p.bytes), ...this.pending.splice(0)]);
    const from = rest.indexOf(key) + 1;
    this.lines.reset();
    if (from < rest.length) this.pending.push(rest.subarray(from));
    this.t.write(key === CTRL_C ? "\x03" : "\x15\x04");
  }
}
