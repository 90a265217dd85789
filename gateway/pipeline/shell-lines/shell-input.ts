/**
 * Follows what a person or agent types into an interactive shell, keystroke by keystroke, to judge
 * each command line when Enter is pressed (best effort: the shell's own line editor is the truth).
 * Printable text, backspace, Ctrl-U/W/C and bracketed paste are followed; arrow keys, history and
 * tab completion change the line in ways only the shell knows, so such a line is marked `edited`.
 */
export type Line = { text: string; edited: boolean };

export class ShellInput {
  private text = "";
  private edited = false;
  private esc = ""; // an escape sequence being read

  /**
   * `raw`: input without a terminal, read by the shell exactly as sent: no line editor, so every
   * byte is part of the line (a backspace or Ctrl-U is a character) and only a newline ends it.
   */
  constructor(private readonly raw = false) {}

  /** The line typed so far (without a terminal, the shell runs it at the end of input). */
  get unfinished(): Line | null {
    return this.text ? { text: Buffer.from(this.text, "latin1").toString("utf8"), edited: this.edited } : null;
  }

  /** Forgets the line being typed (the terminal dropped the input, as a Ctrl-C does). */
  reset(): void {
    this.text = "";
    this.edited = false;
    this.esc = "";
  }

  /**
   * Splits input into the bytes before each Enter and the lines they complete. `parts` alternate:
   * bytes to forward, then (when `line` is set) the Enter to judge.
   */
  feed(data: Buffer): Array<{ bytes: Buffer; line?: Line }> {
    const out: Array<{ bytes: Buffer; line?: Line }> = [];
    let from = 0;
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (this.raw) {
        if (b !== 0x0a) {
          this.text += String.fromCharCode(b);
          continue;
        }
        out.push({ bytes: data.subarray(from, i) });
        out.push({ bytes: data.subarray(i, i + 1), line: { text: this.text, edited: false } });
        this.text = "";
        from = i + 1;
        continue;
      }
      if (this.esc) {
        this.esc += String.fromCharCode(b);
        // CSI ends with a byte in @..~; SS3/other two-byte sequences end at once.
        const done = this.esc.length >= 2 && (this.esc[1] !== "[" || (this.esc.length >= 3 && b >= 0x40 && b <= 0x7e));
        if (done) {
          if (this.esc !== "\x1b[200~" && this.esc !== "\x1b[201~") this.edited = true;
          this.esc = "";
        }
        continue;
      }
      if (b === 0x0d || b === 0x0a) {
        out.push({ bytes: data.subarray(from, i) });
        out.push({ bytes: data.subarray(i, i + 1), line: { text: this.text, edited: this.edited } });
        this.text = "";
        this.edited = false;
        from = i + 1;
        // \r\n from a paste is one Enter.
        if (b === 0x0d && data[i + 1] === 0x0a) {
          i++;
          from = i + 1;
        }
        continue;
      }
      if (b === 0x1b) this.esc = "\x1b";
      else if (b === 0x7f || b === 0x08) this.text = this.text.slice(0, -1);
      else if (b === 0x15 || b === 0x03) {
        this.text = "";
        this.edited = false;
      } else if (b === 0x17) this.text = withoutLastWord(this.text);
      else if (b === 0x09 || (b < 0x20 && b !== 0x04)) this.edited = true;
      else if (b >= 0x20) {
        // UTF-8 continuation bytes are appended as they come; the whole line is decoded at Enter.
        this.text += String.fromCharCode(b);
      }
    }
    if (from < data.length) out.push({ bytes: data.subarray(from) });
    return out.map((p) => (p.line ? { ...p, line: { ...p.line, text: Buffer.from(p.line.text, "latin1").toString("utf8") } } : p));
  }
}

// What `\s` matches among the characters a line holds here (one per input byte).
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0;

/**
 * Ctrl-W: the line without its last word and the blanks after it (what `/\S*\s*$/` removed), read
 * back from the end. That expression tried every position of the line: a long line and as many
 * Ctrl-W took time growing with the square of its length (160 KB of words and 80,000 Ctrl-W: 105 s
 * of the gateway's one thread, every session waiting).
 */
function withoutLastWord(text: string): string {
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  while (end > 0 && !isSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}
