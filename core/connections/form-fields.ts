import { z } from "zod";
import { CONNECTION_NAME, CONNECTION_NAME_RULE, type ConnectionSettings } from "./connection-settings";

/**
 * What a connection type's console form is made of: the fields the page renders, the zod pieces
 * its schema is built from, and the split of a checked form into stored settings and sealed
 * secrets. Pure (no Node, no server-only): the browser's form imports it.
 */
export type FieldSpec = {
  key: string;
  label: string;
  kind: "text" | "number" | "password" | "select" | "textarea" | "checkbox";
  options?: readonly string[];
  /** What a select shows for each option (default: the option itself). */
  optionLabels?: Record<string, string>;
  placeholder?: string;
  hint?: string;
  /** Stored sealed; never sent back to the browser. */
  secret?: boolean;
  /** A stored secret can be removed with a checkbox (default); false where switching the credential removes it. */
  removable?: boolean;
  required?: boolean;
  /** Takes the whole width of the form. */
  wide?: boolean;
  /** Steers the form (which fields show, which secret goes); never stored. */
  formOnly?: boolean;
  /** Shown only while another field has this value. */
  showWhen?: { key: string; is: string };
  /**
   * Offered only while the connection holds no value for it: once one is stored, the edit page
   * shows it in its own section with its own action, and saving the form keeps it (the SSH host key pin).
   */
  hiddenOnceStored?: boolean;
};

export type FieldValues = Record<string, string>;

/** The connection's name, with what clients give it as. */
export const nameField = (usedAs: string) => z.string().trim().regex(CONNECTION_NAME, `${CONNECTION_NAME_RULE} (clients use it as the ${usedAs})`);
/** Secret fields whose stored value should be removed. */
export const secretKeysField = z.array(z.string()).max(10).optional();
export const hostField = z.string().trim().min(1, "the target's host name or address").max(255, "at most 255 characters");
export const portField = z.coerce.number("a port number").int("a whole number").min(1, "a port from 1 to 65535").max(65535, "a port from 1 to 65535");
/** An optional whole number typed into a form ("" is absent), within bounds, with what it counts in the message. */
export const optionalNumberField = (what: string, min: number, max: number) =>
  z.preprocess((v) => (v === "" || v === undefined ? undefined : v), z.coerce.number(what).int("a whole number").min(min, `at least ${min}`).max(max, `at most ${max}`).optional());
/** Optional text typed into a form: trimmed, blank is absent. */
export const optionalTextField = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined));
/** A checkbox: the form sends "true"/"false", a stored row (the list's Test) a boolean; absent is the default. */
export const checkboxField = (byDefault: boolean) => z.preprocess((v) => (v === undefined || v === "" ? byDefault : v === "true" ? true : v === "false" ? false : v), z.boolean("tick or untick it"));

/**
 * Splits a checked form into what is stored in the clear (settings), the secrets typed into it
 * (empty fields are "keep"), and the secrets to remove.
 */
export function splitConnectionForm(fields: readonly FieldSpec[], form: { clearSecrets?: string[] }) {
  const values = form as unknown as Record<string, string | number | boolean | undefined>;
  const settings: ConnectionSettings = {};
  const typedSecrets: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (f.formOnly) continue;
    if (f.secret) {
      if (typeof v === "string" && v !== "") typedSecrets[f.key] = v;
    } else if (v !== undefined) settings[f.key] = v;
  }
  const secretFields = fields.filter((f) => f.secret).map((f) => f.key);
  const clearSecrets = (form.clearSecrets ?? []).filter((k) => secretFields.includes(k) && !(k in typedSecrets));
  return { settings, typedSecrets, clearSecrets };
}

/**
 * The secret to store after an edit: the stored one, with typed fields replaced and cleared ones
 * removed. Undefined when nothing changes, so the sealed value is left untouched.
 */
export function mergeSecret(stored: Record<string, string> | null, typed: Record<string, string>, clear: string[]): Record<string, string> | undefined {
  if (Object.keys(typed).length === 0 && !clear.some((k) => stored && k in stored)) return undefined;
  const next = { ...(stored ?? {}), ...typed };
  for (const k of clear) delete next[k];
  return next;
}
