"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { CONNECTION_TYPES, SSL_MODES, postgresFormSchema, type PostgresForm } from "../../server/connections/connection-forms";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { Card, ErrorBox } from "../ui/page";

type Initial = { id: string; name: string; settings: Record<string, string | number | boolean>; hasPassword: boolean };

/** Create or edit a connection. Validated here with the server's own schema, and again on the server. */
export function ConnectionForm({ initial }: { initial?: Initial }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const s = initial?.settings ?? {};
  const [form, setForm] = useState<PostgresForm>({
    type: "postgres", name: initial?.name ?? "", host: String(s.host ?? ""), port: Number(s.port ?? 5432), database: String(s.database ?? ""),
    user: String(s.user ?? ""), password: "", clearPassword: false, sslmode: (s.sslmode as PostgresForm["sslmode"]) ?? "prefer",
  });
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const save = useMutation(
    trpc.connections.save.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.connections.pathKey() });
        router.push("/connections");
      },
      onError: (err) => setFieldErrors(describeError(err).fields),
    }),
  );
  const test = useMutation(trpc.connections.test.mutationOptions());

  const validated = (): PostgresForm | undefined => {
    const parsed = postgresFormSchema.safeParse(form);
    if (parsed.success) return (setFieldErrors({}), parsed.data);
    const flat = z.flattenError(parsed.error).fieldErrors as Record<string, string[] | undefined>;
    setFieldErrors(Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, (v ?? []).join("; ")])));
    return undefined;
  };
  const set = <K extends keyof PostgresForm>(key: K) => (e: { target: { value: string } }) => setForm({ ...form, [key]: key === "port" ? Number(e.target.value) : e.target.value });
  const failure = save.error ? describeError(save.error) : undefined;

  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const data = validated();
        if (data) save.mutate({ id: initial?.id, form: data });
      }}
    >
      <Card title="Target">
        <div className="grid gap-4 md:grid-cols-2">
          <Field label="Type" name="type" hint="Other types arrive with their gateway adapters.">
            <Select name="type" value="postgres" onChange={() => {}}>
              {CONNECTION_TYPES.map((t) => (
                <option key={t.type} value={t.type} disabled={!t.available}>
                  {t.label}
                  {t.available ? "" : " (coming soon)"}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Name" name="name" error={fieldErrors.name} hint={initial ? "Clients use this as the database name: renaming breaks their connection strings." : "Clients give this as the database name."}>
            <TextInput name="name" value={form.name} onChange={set("name")} invalid={Boolean(fieldErrors.name)} placeholder="pg-prod" />
          </Field>
          <Field label="Host" name="host" error={fieldErrors.host}>
            <TextInput name="host" value={form.host} onChange={set("host")} invalid={Boolean(fieldErrors.host)} placeholder="db.internal" />
          </Field>
          <Field label="Port" name="port" error={fieldErrors.port}>
            <TextInput name="port" type="number" value={String(form.port)} onChange={set("port")} invalid={Boolean(fieldErrors.port)} />
          </Field>
          <Field label="Database" name="database" error={fieldErrors.database}>
            <TextInput name="database" value={form.database} onChange={set("database")} invalid={Boolean(fieldErrors.database)} placeholder="shop" />
          </Field>
          <Field label="User" name="user" error={fieldErrors.user} hint="The role the gateway signs in as; agents never see it.">
            <TextInput name="user" value={form.user} onChange={set("user")} invalid={Boolean(fieldErrors.user)} autoComplete="off" />
          </Field>
          <Field
            label="Password"
            name="password"
            error={fieldErrors.password}
            hint={initial?.hasPassword && !form.clearPassword ? "A password is stored. Leave this empty to keep it." : "Stored encrypted; never shown again."}
          >
            <TextInput name="password" type="password" value={form.password ?? ""} onChange={set("password")} autoComplete="new-password" disabled={form.clearPassword} />
          </Field>
          <Field label="TLS to the target" name="sslmode">
            <Select name="sslmode" value={form.sslmode} onChange={set("sslmode")}>
              {SSL_MODES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </Select>
          </Field>
          {initial?.hasPassword ? (
            <label className="flex items-center gap-2 text-sm text-slate-700">
              <input type="checkbox" checked={form.clearPassword ?? false} onChange={(e) => setForm({ ...form, clearPassword: e.target.checked, password: "" })} />
              Remove the stored password
            </label>
          ) : null}
        </div>
      </Card>
      {test.data ? (
        test.data.ok ? (
          <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            Connected in {test.data.ms} ms: {test.data.serverVersion}
          </p>
        ) : (
          <ErrorBox title="The target refused the connection" message={test.data.error} />
        )
      ) : null}
      {test.error ? <ErrorBox title="Could not test" message={describeError(test.error).message} /> : null}
      {failure && Object.keys(failure.fields).length === 0 ? <ErrorBox title="Not saved" message={failure.message} /> : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : initial ? "Save changes" : "Add connection"}
        </Button>
        <Button
          variant="secondary"
          disabled={test.isPending}
          onClick={() => {
            const data = validated();
            if (data) test.mutate({ id: initial?.id, form: data });
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
