"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Select, TextArea } from "../ui/field";
import { Card, ErrorBox } from "../ui/page";

const DURATIONS = [
  ["15 minutes", 900],
  ["1 hour", 3600],
  ["4 hours", 14400],
  ["8 hours", 28800],
  ["1 day", 86400],
  ["7 days", 604800],
] as const;

/** Asks for time-bound access; approvers (never the requester) decide. */
export function RequestAccessForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = useQuery(trpc.accessRequests.options.queryOptions());
  const [form, setForm] = useState({ identityName: "", connectionName: "", durationSeconds: 3600, reason: "" });
  const create = useMutation(
    trpc.accessRequests.create.mutationOptions({
      onSuccess: () => {
        setForm((f) => ({ ...f, reason: "" }));
        void queryClient.invalidateQueries({ queryKey: trpc.accessRequests.pathKey() });
      },
    }),
  );
  if (!options.data) return null;
  const { identities, connections, ownIdentity } = options.data;
  const failure = create.error ? describeError(create.error) : undefined;
  if (identities.length === 0) {
    return (
      <Card title="Request access">
        <p className="text-sm text-slate-600">Your console account is not linked to a gateway identity, so there is nobody to give access to. Ask an admin to link it.</p>
      </Card>
    );
  }
  const identityName = form.identityName || ownIdentity || "";
  return (
    <Card title="Request access">
      <form
        className="grid gap-3 md:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ ...form, identityName });
        }}
      >
        <Field label="Identity" name="identityName" error={failure?.fields.identityName}>
          <Select name="identityName" value={identityName} onChange={(e) => setForm({ ...form, identityName: e.target.value })} required>
            <option value="">Choose…</option>
            {identities.map((i) => (
              <option key={i}>{i}</option>
            ))}
          </Select>
        </Field>
        <Field label="Connection" name="connectionName" error={failure?.fields.connectionName}>
          <Select name="connectionName" value={form.connectionName} onChange={(e) => setForm({ ...form, connectionName: e.target.value })} required>
            <option value="">Choose…</option>
            {connections.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.type})
              </option>
            ))}
          </Select>
        </Field>
        <Field label="For how long" name="durationSeconds">
          <Select name="durationSeconds" value={form.durationSeconds} onChange={(e) => setForm({ ...form, durationSeconds: Number(e.target.value) })}>
            {DURATIONS.map(([label, s]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Why" name="reason" hint="Approvers decide on this; be specific (ticket, incident)." error={failure?.fields.reason}>
          <TextArea name="reason" rows={2} value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} invalid={Boolean(failure?.fields.reason)} />
        </Field>
        {failure && Object.keys(failure.fields).length === 0 ? (
          <div className="md:col-span-2">
            <ErrorBox title="Not requested" message={failure.message} />
          </div>
        ) : null}
        <div className="md:col-span-2">
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Requesting…" : "Request access"}
          </Button>
          {create.isSuccess ? <span className="ml-3 text-sm text-emerald-700">Requested. An approver will decide.</span> : null}
        </div>
      </form>
    </Card>
  );
}
