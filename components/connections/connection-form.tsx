"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { CONNECTION_FORMS, connectionFormSchema, formSpecOf, type ConnectionForm as FormData } from "../../server/connections/connection-forms";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { Card, ErrorBox } from "../ui/page";
import { ConnectionFields, visibleFields, type FieldValues } from "./connection-fields";
import { ConnectorSelect } from "./connector-select";
import { TestResultBox } from "./test-result";

export type EditedConnection = { id: string; name: string; type: string; settings: Record<string, string | number | boolean>; storedSecrets: string[]; connector: string | null };

/**
 * Create or edit a connection. The types and their fields come from the registry
 * (core/connections/registry.ts, through connection-forms); the same zod schema checks them here
 * (for quick messages) and on the server (which decides).
 */
export function ConnectionForm({ initial }: { initial?: EditedConnection }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [type, setType] = useState(initial?.type ?? CONNECTION_FORMS[0].type);
  const spec = formSpecOf(type) ?? CONNECTION_FORMS[0];
  const [name, setName] = useState(initial?.name ?? "");
  const [values, setValues] = useState<FieldValues>(() => ({
    ...spec.defaults,
    ...Object.fromEntries(Object.entries(initial?.settings ?? {}).map(([k, v]) => [k, String(v)])),
    ...(initial && spec.editValues ? spec.editValues(initial.settings, initial.storedSecrets) : {}),
  }));
  const [clear, setClear] = useState<string[]>([]);
  // Not one of the type's settings: the row's connector_id, saved with the form.
  const [connector, setConnector] = useState(initial?.connector ?? "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation(
    trpc.connections.save.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.connections.pathKey() });
        router.push("/connections");
        router.refresh();
      },
      onError: (err) => setErrors(describeError(err).fields),
    }),
  );
  // A credential the server cannot use (an encrypted key...) is shown under its field, as on save.
  const test = useMutation(trpc.connections.test.mutationOptions({ onError: (err) => setErrors(describeError(err).fields) }));

  const checked = (): FormData | undefined => {
    const parsed = connectionFormSchema.safeParse({ ...values, type, name, clearSecrets: clear });
    if (parsed.success) return (setErrors({}), parsed.data);
    const flat = z.flattenError(parsed.error).fieldErrors as Record<string, string[] | undefined>;
    setErrors(Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, (v ?? []).join("; ")])));
    return undefined;
  };
  const failure = save.error ? describeError(save.error) : undefined;
  const renamed = initial && name.trim() !== initial.name;
  const nameUse = spec.nameUse ?? "connection name";
  const chooseType = (next: string) => {
    const nextSpec = formSpecOf(next);
    if (!nextSpec) return;
    // Start from the new type's defaults (its port...), keeping what reads the same in both.
    setValues((v) => ({ ...nextSpec.defaults, ...(v.host ? { host: v.host } : {}), ...(v.user ? { user: v.user } : {}) }));
    setErrors({});
    test.reset();
    setType(next);
  };

  return (
    <form
      noValidate
      aria-label={initial ? `Edit connection ${initial.name}` : "New connection"}
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const data = checked();
        if (data) save.mutate({ id: initial?.id, form: data, connector: connector || null });
      }}
    >
      <Card title="Connection">
        <div className="grid gap-4 md:grid-cols-2">
          <Field label="Type" name="type" hint={initial ? "A connection's type cannot change." : "More types arrive with their gateway adapters."}>
            <Select name="type" value={type} disabled={Boolean(initial)} onChange={(e) => chooseType(e.target.value)}>
              {CONNECTION_FORMS.map((t) => (
                <option key={t.type} value={t.type} disabled={!t.available}>
                  {t.label}
                  {t.available ? "" : " (coming soon)"}
                </option>
              ))}
            </Select>
          </Field>
          <Field
            label="Name"
            name="name"
            error={errors.name}
            hint={
              renamed
                ? `Clients connect with the ${nameUse} ${initial.name}: after saving they must use ${name.trim() || "the new name"}.`
                : `Clients give this as the ${nameUse}. Renaming it later breaks what they have configured.`
            }
          >
            <TextInput name="name" value={name} onChange={(e) => setName(e.target.value)} invalid={Boolean(errors.name)} placeholder={spec.namePlaceholder} required aria-required autoComplete="off" />
          </Field>
        </div>
      </Card>
      <Card title="Target">
        <div className="grid gap-4 md:grid-cols-2">
          <ConnectionFields
            fields={visibleFields(spec.fields, values, initial?.settings ?? {})}
            values={values}
            errors={errors}
            storedSecrets={initial?.storedSecrets ?? []}
            clear={clear}
            onChange={(key, value) => (setValues((v) => ({ ...v, [key]: value })), test.reset())}
            onClear={(key, on) => {
              test.reset();
              setClear((c) => (on ? [...c, key] : c.filter((k) => k !== key)));
              if (on) setValues((v) => ({ ...v, [key]: "" }));
            }}
          />
          <div className="md:col-span-2">
            <ConnectorSelect value={connector} error={errors.connector} onChange={(c) => (setConnector(c), setErrors(({ connector: _, ...rest }) => rest))} />
          </div>
        </div>
      </Card>
      <div aria-live="polite">
        {test.data ? <TestResultBox result={test.data} /> : null}
        {test.error ? <ErrorBox title="Could not test" message={describeError(test.error).message} /> : null}
        {failure && Object.keys(failure.fields).length === 0 ? <ErrorBox title="Not saved" message={failure.message} /> : null}
        {failure && Object.keys(failure.fields).length > 0 ? <p className="text-sm text-rose-700">Not saved: see the messages under the fields.</p> : null}
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : initial ? "Save changes" : "Add connection"}
        </Button>
        <Button
          variant="secondary"
          disabled={test.isPending}
          onClick={() => {
            const data = checked();
            if (data) test.mutate({ id: initial?.id, form: data, connector: connector || null });
          }}
        >
          {test.isPending ? "Testing…" : "Test connection"}
        </Button>
        <Button variant="ghost" onClick={() => router.push("/connections")}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
