import { RE2JS } from "re2js";
import { z } from "zod";

/**
 * A regular expression an admin wrote (a guardrail rule's `regex`, a custom masking detector),
 * matched against text an agent controls: statement texts, result values.
 *
 * JavaScript's RegExp backtracks, so a pattern such as `^(\w+\s?)+$` takes exponential time on a
 * few dozen characters chosen to fail, and `select .* from .* where` polynomial time on a long
 * statement; either stops the gateway's event loop, and with it every session, for minutes or
 * for good. These patterns run on re2js instead (Google's RE2 ported to JavaScript): time linear
 * in the text whatever the pattern, at about a microsecond for a short text. RE2's syntax has
 * no lookahead, lookbehind or back-references (those need backtracking); JavaScript's own escapes
 * (`\u00e9`, `(?<name>...)`) are translated. Matching is case-insensitive, as it always was here.
 */
export type LinearPattern = {
  test(text: string): boolean;
  /** Every non-empty match, left to right, as UTF-16 offsets into `text`. */
  spans(text: string): Array<{ start: number; end: number }>;
};

const INVALID = "not a valid regular expression";

function compile(source: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(source), RE2JS.CASE_INSENSITIVE);
}

/** Why `source` cannot be used as an admin's pattern, or null when it can. */
export function linearPatternProblem(source: string): string | null {
  try {
    new RegExp(source, "i");
  } catch {
    return INVALID;
  }
  try {
    compile(source);
    return null;
  } catch (err) {
    const detail = (err as Error).message.replace(/^error parsing regexp:\s*/, "");
    return `not supported (${detail}): patterns run in time linear in the text (RE2 syntax), without lookahead, lookbehind or back-references`;
  }
}

/**
 * A schema field holding an admin's pattern. "checked": refused unless it runs here (the schema the
 * gateway, the CLI and the console save with). "as-stored": any string, the shape a document an
 * earlier release stored may have, so the console can show it for the admin to correct.
 */
export type PatternCheck = "checked" | "as-stored";
export function patternField(field: z.ZodString, check: PatternCheck) {
  if (check === "as-stored") return field;
  return field.superRefine((source, ctx) => {
    const problem = linearPatternProblem(source);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

const cache = new Map<string, LinearPattern>();

/** The pattern compiled once per source (a few hundred distinct sources at most: the cache is cleared past 1,000). Throws what linearPatternProblem says. */
export function linearPattern(source: string): LinearPattern {
  let p = cache.get(source);
  if (p) return p;
  let re: RE2JS;
  try {
    re = compile(source);
  } catch {
    throw new Error(`pattern ${JSON.stringify(source)}: ${linearPatternProblem(source) ?? INVALID}`);
  }
  p = {
    test: (text) => re.test(text),
    spans(text) {
      const out: Array<{ start: number; end: number }> = [];
      // Most values hold no match: test() answers that for a third of what a matcher costs.
      if (!re.test(text)) return out;
      const m = re.matcher(text);
      while (m.find()) {
        const start = m.start();
        const end = m.end();
        if (end > start) out.push({ start, end });
      }
      return out;
    },
  };
  if (cache.size >= 1000) cache.clear();
  cache.set(source, p);
  return p;
}
