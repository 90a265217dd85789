import { z } from "zod";
import type { ConnectionSettings } from "../../core/connections/connection-settings";
import { splitConnectionForm as splitFields, type FieldSpec, type FieldValues } from "../../core/connections/form-fields";
import { CONNECTION_TYPE_MODULES, PLANNED_CONNECTION_TYPES } from "../../core/connections/registry";

export { mergeSecret } from "../../core/connections/form-fields";
export type { FieldSpec, FieldValues };

/**
 * The console's connection form, assembled from the registry: the types the page offers, each
 * type's fields, and the one zod schema the server (and the browser, for early hints) checks.
 * Pure (no server-only): the form component imports it.
 */
export type ConnectionTypeSpec = {
  type: string;
  label: string;
  available: boolean;
  /** What clients give the connection's name as, and an example name. */
  nameUse?: string;
  namePlaceholder?: string;
  fields: readonly FieldSpec[];
  defaults: FieldValues;
  /** Form values an edit starts from that the stored settings do not hold as they are. */
  editValues?: (settings: ConnectionSettings, storedSecrets: readonly string[]) => FieldValues;
};

type FormSchemasOf<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] extends { form: { schema: infer S } } ? S : never };
type FormSchemas = FormSchemasOf<typeof CONNECTION_TYPE_MODULES>;

/** One schema per type, told apart by `type`; a planned or unknown type is refused. */
export const connectionFormSchema = z.discriminatedUnion("type", CONNECTION_TYPE_MODULES.map((t) => t.form.schema) as FormSchemas);
export type ConnectionForm = z.infer<typeof connectionFormSchema>;

export const CONNECTION_FORMS: readonly ConnectionTypeSpec[] = [
  ...CONNECTION_TYPE_MODULES.map(({ type, label, form }) => ({
    type,
    label,
    available: true,
    nameUse: form.nameUse,
    namePlaceholder: form.namePlaceholder,
    fields: form.fields,
    defaults: form.defaults,
    editValues: "editValues" in form ? form.editValues : undefined,
  })),
  // Listed so the form shows where they will go; refused by the schema until their modules exist.
  ...PLANNED_CONNECTION_TYPES.map(({ type, label }) => ({ type, label, available: false, fields: [], defaults: {} })),
];

export function formSpecOf(type: string): ConnectionTypeSpec | undefined {
  return CONNECTION_FORMS.find((s) => s.type === type && s.available);
}

/**
 * Splits a checked form into what is stored in the clear (settings), the secrets typed into it
 * (empty fields are "keep"), and the secrets to remove.
 */
export function splitConnectionForm(form: ConnectionForm) {
  const spec = formSpecOf(form.type);
  if (!spec) throw new Error(`connections of type ${form.type} are not available yet`);
  return splitFields(spec.fields, form);
}
