import { quoteEnd } from "./mysql-lexer";

/**
 * Whether a Postgres text would make PostgreSQL's own parser (libpg-query is that parser) spend time
 * growing with the square of a run in it, on the gateway's one thread. Two such runs are known:
 *
 * - Operator characters. The scanner reads the longest run as one token, then gives most of it back
 *   (`++++` is four unary plus signs, read one at a time), and a comment opener followed by operator
 *   characters the same way (a slash-star repeated: nested comments). Each token rereads the rest of
 *   its run: 16,000 `+` took 0.65 s; slash-stars repeated over a megabyte, hours.
 * - A dotted name in SET, SHOW, RESET and ALTER ... SET (`a.b.c`): the grammar joins the parts one at
 *   a time into a new string, copying what it has each time. 32,000 parts took 1.1 s.
 *
 * No client writes such runs outside string literals, so a text whose runs would cost more than a
 * small multiple of its length (n parts or characters counting n²) is refused as one the parser
 * cannot read, before it is parsed.
 *
 * Linear: string literals ('...', E'...', $tag$...$tag$) and `--` comments are skipped (backslashes
 * taken as escapes everywhere: over-long literals only make the check more lenient); a quoted
 * identifier continues a dotted name; block comments are read as code (the nested-comment case is in
 * them; a banner of `=` inside one counts, which only matters past a thousand of them in a row).
 */
const OPERATOR = new Uint8Array(128);
for (const c of "~!@#^&|`?+-*/%<>=") OPERATOR[c.charCodeAt(0)] = 1;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const isNameChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 128;

export function scannerCostTooHigh(text: string): boolean {
  const allowance = 64 * text.length + 1_000_000;
  let cost = 0;
  let run = 0; // operator characters in a row
  let dots = 0; // dots of the current dotted name
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const lineComment = c === 45 && text.charCodeAt(i + 1) === 45;
    if (c < 128 && OPERATOR[c] === 1 && !lineComment) {
      run++;
      continue;
    }
    cost += run * run;
    run = 0;
    if (c === 46) {
      dots++;
      continue;
    }
    // A dollar quote opens where a name cannot go on (`a$b$` is a name).
    const dollarQuote = c === 36 && !(i > 0 && isNameChar(text.charCodeAt(i - 1)));
    if (isNameChar(c) && !dollarQuote) continue;
    if (c === 34) {
      i = skipQuoted(text, i); // a quoted part of a name
      continue;
    }
    cost += dots * dots;
    dots = 0;
    if (cost > allowance) return true;
    if (lineComment) {
      const eol = text.indexOf("\n", i);
      i = eol === -1 ? text.length : eol;
    } else if (c === 39) i = skipQuoted(text, i);
    else if (dollarQuote) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(text);
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? text.length : close + tag[0].length - 1;
      }
    }
  }
  return cost + run * run + dots * dots > allowance;
}

/** The index of the closing quote of the literal or identifier opening at `open` (the text's end if it is left open). */
function skipQuoted(text: string, open: number): number {
  const end = quoteEnd(text, open, text[open], "single");
  return end === -1 ? text.length : end - 1;
}
