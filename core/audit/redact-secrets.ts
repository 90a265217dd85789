const SECRET_KEY = /pass(word)?|secret|token|private.?key$|^key$|hash|credential/i;

/** Replaces the value of every secret-looking field, at any depth, with a marker that says one was set (as the console does for its events). */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? (v == null || v === "" ? v : "[redacted]") : redactSecrets(v)]));
  }
  return value;
}

/** A command line with secret flag values and URL passwords replaced (`--password x`, `--url postgres://u:x@h`). */
export function redactArgv(argv: string[]): string[] {
  return argv.map((a, i) => {
    const prev = argv[i - 1];
    if (prev?.startsWith("--") && !prev.includes("=") && /pass|secret|token/i.test(prev)) return "[redacted]";
    const eq = /^(--[^=]*(?:pass|secret|token)[^=]*=).*/i.exec(a);
    if (eq) return `${eq[1]}[redacted]`;
    return a.replace(URL_PASSWORD, "$1:[redacted]@").replace(/(password=)[^&\s]*/gi, "$1[redacted]");
  });
}

/** A URL's `user:password@` (the user kept in $1), in a command line or a string literal. */
export const URL_PASSWORD = /(\/\/[^:/@\s'"]*):[^@\s/'"]*@/g;
