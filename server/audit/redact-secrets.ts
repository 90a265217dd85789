const SECRET_KEY = /pass(word)?|secret|token|private.?key|^key$|hash|credential/i;

/** Replaces the value of every secret-looking field, at any depth, with a marker that says one was set. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? (v == null || v === "" ? v : "[redacted]") : redactSecrets(v)]));
  }
  return value;
}
