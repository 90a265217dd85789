/**
 * Terminal output as plain text, for searching a recording: escape sequences (colours, cursor moves,
 * window titles) are dropped, lines end at CR or LF. Both classes keep state between calls, so a
 * sequence or a line cut across two recorded events comes out whole. Pure: no I/O.
 */

type EscapeState = "text" | "esc" | "esc-arg" | "csi" | "string" | "string-esc";

/** Removes ANSI/VT escape sequences and control characters (tab becomes a space). */
export class AnsiStripper {
  private state: EscapeState = "text";

  feed(input: string): string {
    let out = "";
    for (const ch of input) {
      const code = ch.codePointAt(0)!;
      switch (this.state) {
        case "text":
          if (ch === "\x1b") this.state = "esc";
          else if (code === 0x9b) this.state = "csi";
          else if (code === 0x9d || code === 0x90) this.state = "string";
          else if (ch === "\t") out += " ";
          else if (ch === "\n" || ch === "\r") out += ch;
          else if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0)) out += ch;
          break;
        case "esc":
          if (ch === "[") this.state = "csi";
          // OSC (title), DCS, SOS, PM, APC: a string up to BEL or ESC \.
          else if ("]PX^_".includes(ch)) this.state = "string";
          // Charset and line-attribute selections take one more character.
          else if ("()*+-./#%".includes(ch)) this.state = "esc-arg";
          else this.state = "text";
          break;
        case "esc-arg":
          this.state = "text";
          break;
        case "csi":
          if (code >= 0x40 && code <= 0x7e) this.state = "text";
          else if (ch === "\x1b") this.state = "esc";
          break;
        case "string":
          if (ch === "\x07") this.state = "text";
          else if (ch === "\x1b") this.state = "string-esc";
          break;
        case "string-esc":
          this.state = ch === "\\" ? "text" : "string";
          break;
      }
    }
    return out;
  }
}

export type TextLine = {
  text: string;
  /** Where each recorded event's text starts in the line, with the event's time (seconds). */
  parts: { from: number; t: number }[];
};

/** Cuts plain text into lines, remembering which event (time) each part of a line came from. */
export class LineCutter {
  private text = "";
  private parts: TextLine["parts"] = [];

  constructor(private readonly maxLine = 4096) {}

  /** Feeds text recorded at time `t`; returns the lines it completed. */
  feed(text: string, t: number): TextLine[] {
    const done: TextLine[] = [];
    let start = 0;
    for (let i = 0; i <= text.length; i++) {
      const end = i === text.length;
      if (!end && text[i] !== "\n" && text[i] !== "\r") continue;
      this.append(text.slice(start, i), t);
      start = i + 1;
      if (!end || this.text.length >= this.maxLine) {
        const line = this.take();
        if (line) done.push(line);
      }
    }
    return done;
  }

  /** The unfinished last line, if any. */
  flush(): TextLine | null {
    return this.take();
  }

  private append(piece: string, t: number): void {
    if (!piece) return;
    this.parts.push({ from: this.text.length, t });
    this.text += piece;
  }

  private take(): TextLine | null {
    const line = this.text ? { text: this.text, parts: this.parts } : null;
    this.text = "";
    this.parts = [];
    return line;
  }
}

/** The time of the event that wrote the character at `index` of a line. */
export function timeAt(line: TextLine, index: number): number {
  let t = line.parts[0]?.t ?? 0;
  for (const p of line.parts) {
    if (p.from > index) break;
    t = p.t;
  }
  return t;
}
