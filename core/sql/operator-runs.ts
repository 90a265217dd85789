/**
 * Whether a Postgres text holds runs of operator characters long enough to stall PostgreSQL's own
 * scanner, which libpg-query is. The scanner reads the longest run of operator characters as one
 * token, then gives most of it back (`++++` is four unary plus signs, read one at a time), and a
 * comment opener followed by operator characters the same way (a slash-star repeated: nested
 * comments). Each token so rereads the rest of its run: a run of n characters costs n² reads (16,000
 * `+` 0.65 s; slash-stars repeated over a megabyte, hours), on the gateway's one thread. No client writes
 * such runs outside string literals, so a text whose runs would cost more than a small multiple of
 * its length is refused as one the parser cannot read, before it is parsed.
 *
 * Linear: string literals ('...', E'...', $tag$...$tag$) and quoted identifiers are skipped
 * (backslashes taken as escapes everywhere: over-long literals only make the check more lenient),
 * and so are `--` comments; block comments are read as code (the nested-comment case is in them; a banner of `=` inside one counts,
 * which only matters past a thousand of them in a row).
 */
const OPERATOR = new Uint8Array(128);
for (const c of "~!@#^&|`?+-*/%<>=") OPERATOR[c.charCodeAt(0)] = 1;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

export function operatorRunsTooLong(text: string): boolean {
  const allowance = 64 * text.length + 1_000_000;
  let cost = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const lineComment = c === 45 && text.charCodeAt(i + 1) === 45;
    if (c < 128 && OPERATOR[c] === 1 && !lineComment) {
      run++;
      continue;
    }
    cost += run * run;
    if (cost > allowance) return true;
    run = 0;
    if (lineComment) {
      const eol = text.indexOf("\n", i);
      i = eol === -1 ? text.length : eol;
    } else if (c === 39 || c === 34) i = skipQuoted(text, i, c);
    else if (c === 36) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(text);
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? text.length : close + tag[0].length - 1;
      }
    }
  }
  return cost + run * run > allowance;
}

/** The index of the closing quote of the literal or identifier opening at `open` (the text's end if it is left open). */
function skipQuoted(text: string, open: number, quote: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 && quote === 39) i++;
    else if (c === quote) {
      if (text.charCodeAt(i + 1) !== quote) return i;
      i++;
    }
  }
  return text.length;
}
