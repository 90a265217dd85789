const compiled = new Map<string, RegExp>();

/**
 * A pattern where `*` stands for any run of characters (`billing.*`, `delete deployments*`,
 * `*@example.com`) as an anchored, case-insensitive regular expression; every other character is
 * literal. `dotAll` lets `*` span line breaks (values of HTTP bodies and queries). Compiled once per
 * pattern (the cache is bounded: patterns come from policies and masking rules).
 */
export function wildcardRegex(pattern: string, opts: { dotAll?: boolean } = {}): RegExp {
  const key = (opts.dotAll ? "s" : "-") + pattern;
  let re = compiled.get(key);
  if (!re) {
    const body = pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, opts.dotAll ? "is" : "i");
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, re);
  }
  return re;
}
