import type { ZodError } from "zod";

/**
 * A connection's stored rules (guardrail policy, masking rules) that this release no longer accepts,
 * for example a pattern that needs backtracking saved before patterns ran in linear time. Sessions
 * on the connection are refused (fail closed) with this message, which says what to fix; it is
 * not the database being unreachable.
 */
export class InvalidStoredRules extends Error {
  constructor(what: string, error: ZodError) {
    super(`its ${what} no longer validates (${describeIssues(error)}); an admin can correct and save it again`);
  }
}

/** A schema's complaints as one line: `rules.0.match.regex: not supported (...); ...` (`root` names the document itself). */
export function describeIssues(error: ZodError, root = "(document)"): string {
  return error.issues.map((i) => `${i.path.join(".") || root}: ${i.message}`).join("; ");
}

/** The parsed document, or InvalidStoredRules naming what is wrong with it. */
export function parseStored<T>(what: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidStoredRules(what, parsed.error);
  return parsed.data;
}

/** A stored document as stored, for the CLI's `show` commands, with why this release refuses it (null: it validates), so an admin can see what to correct. */
export function showStored<T>(what: string, schema: Parameters<typeof parseStored<T>>[1], value: unknown): { document: T | unknown; problem: string | null } {
  try {
    return { document: parseStored(what, schema, value), problem: null };
  } catch (err) {
    if (err instanceof InvalidStoredRules) return { document: value, problem: err.message };
    throw err;
  }
}
