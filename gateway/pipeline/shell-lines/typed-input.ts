import type { CommandGuard } from "./command-guard";
import { ShellInput } from "./shell-input";

const CTRL_C = 0x03;
const CTRL_D = 0x04;
// Clears the line the shell holds (Ctrl-U) and asks for a fresh prompt (an empty Enter).
const CLEAR_LINE = "\x15\r";

/** Where a shell's typed input comes from and goes to, whatever the protocol (an SSH channel, a pod exec or attach). */
export type ShellEnds = {
  /** Bytes on to the shell. */
  toShell: (bytes: Buffer | string) => void;
  /** Text for the person at the terminal (on its output). */
  toTerminal: (text: string) => void;
  /** Text for a client without a terminal (on its stderr: its output may be a script's data). */
  toStderr: (text: string) => void;
  /** Whether the client can still be told anything. */
  writable: () => boolean;
  /** Resolves, with why, when the client goes away (a held line's review is then cancelled). */
  clientGone: () => Promise<string>;
  guard: CommandGuard;
  /** One `command` audit event per line (`statement` null: typed at a password prompt, not stored). */
  audit: (e: { outcome: "ok" | "denied"; statement: string | null; statementKind?: string; message: string | null }) => void;
  /** In a terminal: the output ends with a prompt for a secret (SecretPrompt) as this input arrives. */
  atSecretPrompt?: () => boolean;
};

/** What the audit says instead of a line typed at a password prompt. */
export const SECRET_LINE_NOTE = "typed at a password prompt: not stored";

/** The first Ctrl-C or Ctrl-D in some input, or 0. */
function withdrawKey(data: Buffer): number {
  for (const b of data) if (b === CTRL_C || b === CTRL_D) return b;
  return 0;
}

// Each waiting chunk is scanned once, however many lines are judged while it waits.
const scanned = new WeakMap<Buffer, number>();
// Input that arrived while the terminal showed a prompt for a secret: the line it completes is not stored.
const atPrompt = new WeakSet<Buffer>();
function pendingKey(pending: Buffer[]): number {
  for (const data of pending) {
    let key = scanned.get(data);
    if (key === undefined) scanned.set(data, (key = withdrawKey(data)));
    if (key) return key;
  }
  return 0;
}

/**
 * The client's keystrokes on their way to an interactive shell, each line audited, and judged when a
 * rule could apply (best effort, see ShellInput). Input waits while a typed line is held for review,
 * so keystrokes keep their order. In a terminal, Ctrl-C typed while a line is held withdraws its
 * review (cancelled by the client): the shell's copy of the line is cleared (Ctrl-U) and an empty
 * Enter asks for a fresh prompt, as for a refused line. The shell does not get the Ctrl-C itself: no
 * command of that line runs, so there is nothing to interrupt, and a SIGINT is not harmless. An agent
 * types before the shell is up; a Ctrl-C that reaches the terminal then signals whatever runs at that
 * moment, and a shell that has not yet set its own handler dies of it (seen with a login shell slow
 * to start). Ctrl-D likewise withdraws the review, then reaches the shell on an emptied line, which
 * ends it as Ctrl-D at a prompt does: someone pressing Ctrl-D wants out, and a command they no longer
 * wait for must not stay held (or run) behind them. Whatever was typed between Enter and the key is
 * dropped, as a terminal's Ctrl-C drops typeahead.
 */
export class TypedInput {
  private readonly lines: ShellInput;
  private readonly pending: Buffer[] = [];
  // Without a terminal, the bytes of a line wait for its Enter: the shell reads them as sent, with no
  // line editor that a Ctrl-U could clear, so a refused line must never reach it.
  private unjudged: Buffer[] = [];
  private pumping: Promise<void> | null = null;
  private held: { withdraw: (key: number) => void } | null = null;

  constructor(
    private readonly ends: ShellEnds,
    private readonly terminal: boolean,
    /** Where "use ... for enforced rules" points, in the audit of a line the gateway could not follow. */
    private readonly enforcedHint: string,
  ) {
    this.lines = new ShellInput(!terminal);
  }

  push(data: Buffer): void {
    if (this.terminal && this.ends.atSecretPrompt?.()) atPrompt.add(data);
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
    if (!last?.text.trim() || !this.ends.guard.active || !(await this.judge(last.text)).refused) this.ends.toShell(bytes);
  }

  private async pump(): Promise<void> {
    for (let data = this.pending.shift(); data; data = this.pending.shift()) await this.forward(data).catch(() => {});
  }

  private async forward(data: Buffer): Promise<void> {
    const { ends } = this;
    // The prompt asks for one line: only the first line this input completes is the secret.
    let secret = atPrompt.has(data);
    const hidden = () => {
      const was = secret;
      secret = false;
      return was;
    };
    if (!ends.guard.active) {
      if (this.unjudged.length) ends.toShell(Buffer.concat(this.unjudged.splice(0)));
      for (const part of this.lines.feed(data)) {
        if (!part.line) continue;
        if (hidden()) ends.audit({ outcome: "ok", statement: null, message: SECRET_LINE_NOTE });
        else if (part.line.text.trim()) ends.audit({ outcome: "ok", statement: part.line.text, message: part.line.edited ? "line edited with history or completion: recorded as typed" : null });
      }
      ends.toShell(data);
      return;
    }
    const parts = this.lines.feed(data);
    // The first Ctrl-C or Ctrl-D from each part on, in one backward pass: scanning all the rest again for
    // each line of a pasted block took time growing with the square of its lines.
    const keyFrom = new Array<number>(parts.length + 1).fill(0);
    for (let j = parts.length - 1; j >= 0; j--) keyFrom[j] = withdrawKey(parts[j].bytes) || keyFrom[j + 1];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const text = part.line?.text;
      if (!this.terminal) {
        this.unjudged.push(part.bytes);
        if (!part.line) continue;
        const line = Buffer.concat(this.unjudged.splice(0));
        if (!text?.trim() || !(await this.judge(text)).refused) ends.toShell(line);
        continue;
      }
      const secretLine = part.line ? hidden() : false;
      if (!part.line || !text?.trim()) {
        if (secretLine) ends.audit({ outcome: "ok", statement: null, message: SECRET_LINE_NOTE });
        ends.toShell(part.bytes);
        continue;
      }
      if (part.line.edited) {
        // The shell knows the real line, the gateway does not: run it, and say so in the audit.
        ends.audit({
          outcome: "ok",
          statement: secretLine ? null : text,
          message: `${secretLine ? `${SECRET_LINE_NOTE}; ` : ""}line edited with history or completion: not judged (shell guardrails are best effort; use ${this.enforcedHint} for enforced rules)`,
        });
        ends.toShell(part.bytes);
        continue;
      }
      // A Ctrl-C or Ctrl-D typed right after Enter, in the same burst or not yet forwarded, counts as well.
      const { refused, key } = await this.judge(text, keyFrom[i + 1] || pendingKey(this.pending), secretLine);
      if (!refused) {
        ends.toShell(part.bytes);
        continue;
      }
      if (key) return this.dropThrough(key, parts.slice(i + 1));
      // Clear the line the shell holds (Ctrl-U) and ask for a new prompt, instead of Enter.
      ends.toShell(CLEAR_LINE);
    }
  }

  /**
   * Judges a line (holding it for review when a rule says so) and audits it; tells the client why a
   * refused one does not run. `key`: the Ctrl-C or Ctrl-D that withdrew its review, if one did.
   */
  private async judge(text: string, typedAhead = 0, secret = false): Promise<{ refused: string | null; key: number }> {
    const { ends } = this;
    // Without a terminal, output may be a script's data: the gateway's lines go to stderr, uncoloured.
    const say = (line: string, colour: number, end = "\r\n") => {
      if (!ends.writable()) return;
      if (this.terminal) ends.toTerminal(`\r\n\x1b[${colour}mgatehouse: ${line}\x1b[0m${end}`);
      else ends.toStderr(`gatehouse: ${line}\n`);
    };
    // Typed lines: a bare shell started here reads lines the gateway goes on judging.
    const v = ends.guard.judge(text, { typed: true });
    let refused: string | null = v.action === "deny" ? v.message : null;
    let key = 0;
    // A review would show the approver the secret: a line a rule holds is refused instead (fail closed: a fake prompt gets no way around the hold).
    if (v.action === "review" && secret) refused = "a line typed at a password prompt is not sent for review (the approver would see it), so a rule that holds it refuses it";
    else if (v.action === "review") {
      const withdrawn = new Promise<void>((resolve) => (this.held = { withdraw: (k) => ((key ||= k), resolve()) }));
      if (this.terminal && typedAhead) this.held!.withdraw(typedAhead);
      refused = await v.run((line) => say(line, 33, ""), ends.clientGone(), withdrawn);
      this.held = null;
      if (!refused && this.terminal && ends.writable()) ends.toTerminal("\r\n");
    }
    ends.audit({
      outcome: refused ? "denied" : "ok",
      statement: secret ? null : text,
      statementKind: secret ? undefined : v.kind,
      message: secret ? (refused ? `${SECRET_LINE_NOTE}; ${refused}` : SECRET_LINE_NOTE) : refused,
    });
    if (refused) say(refused, 31);
    return { refused, key: refused ? key : 0 };
  }

  /**
   * After a withdrawal: the input up to the key that withdrew is dropped, the rest is read afresh,
   * and the shell's line is cleared (Ctrl-U), then ended with Enter (Ctrl-C: a fresh prompt) or Ctrl-D (the end of input).
   */
  private dropThrough(key: number, after: Array<{ bytes: Buffer }>): void {
    const rest = Buffer.concat([...after.map((p) => p.bytes), ...this.pending.splice(0)]);
    const from = rest.indexOf(key) + 1;
    this.lines.reset();
    if (from < rest.length) this.pending.push(rest.subarray(from));
    this.ends.toShell(key === CTRL_C ? CLEAR_LINE : "\x15\x04");
  }
}
