/** What a wildcard pattern offers its callers: whether a whole value matches. */
export type WildcardPattern = { test(value: string): boolean };

const compiled = new Map<string, WildcardPattern>();
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

/**
 * A pattern where `*` stands for any run of characters (`billing.*`, `delete deployments*`,
 * `*@example.com`), matched against a whole value, case-insensitively; every other character is
 * literal. `dotAll` lets `*` span line breaks (values of HTTP bodies and queries). Compiled once per
 * pattern (the cache is bounded: patterns come from policies and masking rules).
 *
 * Matched piece by piece, each literal piece at its first place after the one before (the first
 * piece at the start, the last at the end), which is linear in the value. As one regular
 * expression (`^a.*b.*c$`), a value the agent chose (a request path, a body field of a megabyte)
 * made the engine retry every split: `*drop*table*` took 1 s on 40,000 characters, and three stars
 * in a path segment 80 s on 4,000, with every session of the gateway waiting. Each piece is still
 * found by a regular expression (a literal one, case-insensitive), so case folds exactly as before.
 */
export function wildcardPattern(pattern: string, opts: { dotAll?: boolean } = {}): WildcardPattern {
  const key = (opts.dotAll ? "s" : "-") + pattern;
  let p = compiled.get(key);
  if (!p) {
    p = compile(pattern, opts.dotAll === true);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, p);
  }
  return p;
}

function compile(pattern: string, dotAll: boolean): WildcardPattern {
  const pieces = pattern.split("*");
  if (pieces.length === 1) return new RegExp(`^${escape(pattern)}$`, "i");
  // A literal line break in the pattern with `*` kept to one line: rare enough to leave to the expression.
  if (!dotAll && LINE_TERMINATOR.test(pattern)) return new RegExp(`^${pieces.map(escape).join(".*")}$`, "i");
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const startsWith = new RegExp(escape(first), "iy");
  const endsWith = new RegExp(escape(last), "iy");
  const middles = pieces
    .slice(1, -1)
    .filter(Boolean)
    .map((m) => ({ length: m.length, re: new RegExp(escape(m), "ig") }));
  return {
    test(value: string): boolean {
      // Without dotAll no `*` spans a line break, and no piece holds one: a value with one cannot match.
      if (!dotAll && LINE_TERMINATOR.test(value)) return false;
      // Case-insensitive matching without the u flag folds one UTF-16 unit to one: a piece matches as many units as it has.
      const end = value.length - last.length;
      if (end < first.length) return false;
      startsWith.lastIndex = 0;
      endsWith.lastIndex = end;
      if (!startsWith.test(value) || !endsWith.test(value)) return false;
      let at = first.length;
      for (const m of middles) {
        m.re.lastIndex = at;
        const found = m.re.exec(value);
        if (found === null || found.index + m.length > end) return false;
        at = found.index + m.length;
      }
      return true;
    },
  };
}
