"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { splitGroups } from "../../server/agents/names";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, Select, TextInput } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";
import { ErrorBox } from "../ui/page";
import { PasswordReveal } from "./password-reveal";
import { ROLE_HINTS, ROLES, type Role } from "./roles";

const EMPTY = { email: "", name: "", role: "auditor" as Role, groups: "", typePassword: false, password: "" };

/** Adds a local account; the server generates the password (shown once) unless the admin types one. */
export function AddUserForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(EMPTY);
  const [added, setAdded] = useState<{ email: string; password: string | null } | null>(null);
  const add = useMutation(
    trpc.users.add.mutationOptions({
      onSuccess: (r) => {
        setAdded({ email: r.email, password: r.generatedPassword });
        setDraft(EMPTY);
        void queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
      },
    }),
  );
  const failure = add.error ? describeError(add.error) : undefined;
  const set = (patch: Partial<typeof EMPTY>) => setDraft({ ...draft, ...patch });
  return (
    <>
      <form
        className="grid gap-4 md:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate({ email: draft.email, name: draft.name || undefined, role: draft.role, groups: splitGroups(draft.groups), password: draft.typePassword ? draft.password : undefined });
        }}
      >
        <Field label="E-mail" name="u-email" error={failure?.fields.email}>
          <TextInput name="u-email" type="email" value={draft.email} onChange={(e) => set({ email: e.target.value })} required autoComplete="off" invalid={!!failure?.fields.email} />
        </Field>
        <Field label="Name (optional)" name="u-name">
          <TextInput name="u-name" value={draft.name} onChange={(e) => set({ name: e.target.value })} autoComplete="off" />
        </Field>
        <Field label="Role" name="u-role" hint={ROLE_HINTS[draft.role]}>
          <Select name="u-role" value={draft.role} onChange={(e) => set({ role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </Select>
        </Field>
        <Field label="Groups" name="u-groups" hint="Decide which reviews this person may approve." error={failure?.fields.groups}>
          <TextInput name="u-groups" value={draft.groups} onChange={(e) => set({ groups: e.target.value })} placeholder="dba" autoComplete="off" />
        </Field>
        <fieldset className="space-y-2 md:col-span-2">
          <legend className="text-sm font-medium text-slate-700">Password</legend>
          <div className="flex flex-wrap gap-4 text-sm text-slate-700">
            <label className="flex items-center gap-2">
              <input type="radio" name="u-password-mode" checked={!draft.typePassword} onChange={() => set({ typePassword: false, password: "" })} className="accent-brand" />
              Generate one and show it once
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="u-password-mode" checked={draft.typePassword} onChange={() => set({ typePassword: true })} className="accent-brand" />
              Type one
            </label>
          </div>
          {draft.typePassword ? (
            <div className="max-w-sm">
              <Field label="Their password" name="u-password" hint="At least 12 characters." error={failure?.fields.password}>
                <TextInput
                  name="u-password"
                  type="password"
                  value={draft.password}
                  onChange={(e) => set({ password: e.target.value })}
                  minLength={12}
                  required
                  autoComplete="new-password"
                  invalid={!!failure?.fields.password}
                />
              </Field>
            </div>
          ) : null}
        </fieldset>
        <div className="md:col-span-2">
          <Button type="submit" disabled={add.isPending}>
            {add.isPending ? "Adding…" : "Add account"}
          </Button>
        </div>
        {failure && !["email", "password", "groups"].some((f) => failure.fields[f]) ? (
          <div className="md:col-span-2">
            <ErrorBox title="Not added" message={failure.message} />
          </div>
        ) : null}
      </form>
      <ModalDialog open={!!added} title={`Account ${added?.email ?? ""} added`} onClose={() => setAdded(null)}>
        {added?.password ? <PasswordReveal email={added.email} password={added.password} /> : <p className="text-sm text-slate-600">They can sign in with the password you typed.</p>}
        <div className="flex justify-end">
          <Button onClick={() => setAdded(null)}>Done</Button>
        </div>
      </ModalDialog>
    </>
  );
}
