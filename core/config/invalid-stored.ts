import type { ZodError } from "zod";

/** The documents a connection stores that a release's schema can refuse. */
export type StoredDocument = "guardrail policy" | "masking rules";

/**
 * A connection's stored rules (guardrail policy, masking rules) that this release no longer accepts,
 * for example a pattern that needs backtracking saved before patterns ran in linear time. Sessions
 * on the connection are refused (fail closed) with this message, which says what to fix (the
 * refusal's hint says where: STORED_RULES_HINT); it is not the database being unreachable.
 */
export class InvalidStoredRules extends Error {
  constructor(what: StoredDocument, error: ZodError) {
    super(`its ${what} ${what === "masking rules" ? "no longer validate" : "no longer validates"} (${describeIssues(error)})`);
  }
}

/** Where an admin corrects such a document, for the refusal's hint (protocols without a hint field append it). */
export const STORED_RULES_HINT = "An admin can correct it and save it again: the console's Guardrails or Masking page, or `gatehouse policies apply` / `gatehouse masking apply`.";

/** A schema's complaints, one line each: `rules.0.match.regex: not supported (...)` (`root` names the document itself). */
export function issueLines(error: ZodError, root = "(document)"): string[] {
  return error.issues.map((i) => `${i.path.join(".") || root}: ${i.message}`);
}

/** A schema's complaints as one line (see issueLines). */
export function describeIssues(error: ZodError, root = "(document)"): string {
  return issueLines(error, root).join("; ");
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } };

/**
 * A stored document for the console's form (null: none stored), with why this release refuses it
 * (null: it validates). A document refused only for its patterns still comes back, parsed by the
 * schema's as-stored shape (defaults filled, patterns unchecked), so the form shows the rules for
 * the admin to correct instead of an empty form whose save would replace them. Anything else
 * wrong leaves the form empty, with the reason.
 */
export function storedForForm<T>(schema: Schema<T>, asStored: Schema<T>, raw: unknown, root: string): { value: T | null; unreadable: string | null } {
  if (raw === null || raw === undefined) return { value: null, unreadable: null };
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { value: parsed.data, unreadable: null };
  const shaped = asStored.safeParse(raw);
  return { value: shaped.success ? shaped.data : null, unreadable: describeIssues(parsed.error, root) };
}

/** The parsed document, or InvalidStoredRules naming what is wrong with it. */
export function parseStored<T>(what: StoredDocument, schema: Schema<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidStoredRules(what, parsed.error);
  return parsed.data;
}

/** A stored document as stored, for the CLI's `show` commands, with why this release refuses it (null: it validates), so an admin can see what to correct. */
export function showStored<T>(what: StoredDocument, schema: Schema<T>, value: unknown): { document: T | unknown; problem: string | null } {
  try {
    return { document: parseStored(what, schema, value), problem: null };
  } catch (err) {
    if (err instanceof InvalidStoredRules) return { document: value, problem: err.message };
    throw err;
  }
}
