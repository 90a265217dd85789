/**
 * Whether a terminal is showing a prompt for a secret (`[sudo] password for ann:`, `Enter passphrase
 * for key '/home/ann/.ssh/id_ed25519':`, `Password for user postgres:`, `Verification code:`), read
 * from the end of its output: the line the cursor sits on, colours and other escape sequences left
 * out. The gateway sees no terminal modes, only bytes, so this is what stands for "echo is off".
 *
 * The line typed at such a prompt is still judged like any other (a fake prompt, `PS1='Password: '`,
 * must not open a way around the rules), but its text is neither audited nor recorded: a password
 * typed at `sudo` would otherwise be stored as a command. Someone typing at a fake prompt by hand
 * sees their keys echoed, which moves the cursor off the prompt, so their lines are audited as usual;
 * a line sent in one piece at a fake prompt is audited without its text (the terminal's output, which
 * shows the echo, is still recorded).
 */
export class SecretPrompt {
  private tail = "";

  /** Output on its way to the terminal (decoded text). */
  see(text: string): void {
    // Only the current line matters: what follows its last line break or carriage return.
    const cut = Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"));
    this.tail = cut >= 0 ? text.slice(cut + 1) : this.tail + text;
    if (this.tail.length > MAX_TAIL) this.tail = this.tail.slice(-MAX_TAIL);
  }

  /** The cursor sits at the end of a prompt for a secret. */
  active(): boolean {
    return this.tail !== "" && SECRET_PROMPT.test(plain(this.tail));
  }
}

/** A prompt longer than this is not one (a key's path can be long: 400 characters). */
const MAX_TAIL = 400;

// The words of a prompt for a secret, then anything short on the same line, then the colon (or `>`,
// as some tools end it) and spaces that end a prompt: the cursor waits right after it, or after the
// asterisks a prompt echoes for each key (sudo's pwfeedback).
const SECRET_PROMPT =
  /(?:pass(?:word|phrase|code|wd)|pass phrase|\bpin\b|\bsecret\b|\btoken\b|\botp\b|one-time (?:code|password)|verification code|security code|authenticator code)[^\n]{0,300}?[:>]\s*[*•]*$/i;

// CSI sequences (colours, cursor moves), OSC sequences (window titles), other two-byte escapes, and the other controls.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]/g;
const plain = (s: string) => s.replace(ESCAPES, "");
