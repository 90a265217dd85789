"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { CopyButton } from "../ui/copy-button";
import { Field, Select, TextInput } from "../ui/field";
import { Badge, Card, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

const ROLES = ["admin", "approver", "auditor", "member"] as const;
type Role = (typeof ROLES)[number];
const splitGroups = (s: string) => s.split(",").map((g) => g.trim()).filter(Boolean);

/** Console accounts: add a local one (password shown once), change role and groups, disable. */
export function UserManager({ me }: { me: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
  const query = useQuery(trpc.users.list.queryOptions());
  const [draft, setDraft] = useState({ email: "", role: "auditor" as Role, groups: "" });
  const add = useMutation(trpc.users.add.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: refresh }));
  const addFailure = add.error ? describeError(add.error) : undefined;
  return (
    <div className="space-y-5">
      <Card title="Add a local account">
        {add.data ? (
          <div role="region" aria-label="New account" className="space-y-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
            <p>
              {add.data.email} can sign in with this password, shown once. Send it over a safe channel.
            </p>
            <div className="flex items-center gap-2">
              <code className="rounded bg-white px-2 py-1 font-mono">{add.data.password}</code>
              <CopyButton text={add.data.password} label="Copy password" />
              <Button size="sm" variant="ghost" onClick={() => add.reset()}>
                Done
              </Button>
            </div>
          </div>
        ) : (
          <form
            className="grid gap-3 md:grid-cols-4 md:items-end"
            onSubmit={(e) => {
              e.preventDefault();
              add.mutate({ email: draft.email, role: draft.role, groups: splitGroups(draft.groups) });
            }}
          >
            <Field label="E-mail" name="u-email" error={addFailure?.fields.email}>
              <TextInput name="u-email" type="email" value={draft.email} onChange={(e) => setDraft({ ...draft, email: e.target.value })} required />
            </Field>
            <Field label="Role" name="u-role">
              <Select name="u-role" value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.target.value as Role })}>
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </Select>
            </Field>
            <Field label="Groups" name="u-groups" hint="Who may approve which reviews.">
              <TextInput name="u-groups" value={draft.groups} onChange={(e) => setDraft({ ...draft, groups: e.target.value })} placeholder="dba" />
            </Field>
            <div>
              <Button type="submit" disabled={add.isPending}>
                Add account
              </Button>
            </div>
            {addFailure && !addFailure.fields.email ? (
              <div className="md:col-span-4">
                <ErrorBox title="Not added" message={addFailure.message} />
              </div>
            ) : null}
          </form>
        )}
      </Card>
      {update.error ? <ErrorBox title="Not changed" message={describeError(update.error).message} /> : null}
      {query.isPending ? <LoadingRows /> : null}
      {query.isError ? <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.data ? (
        <Table label="Console accounts">
          <THead>
            <Th>Account</Th>
            <Th>Role</Th>
            <Th>Groups</Th>
            <Th>Gateway identity</Th>
            <Th>Last sign-in (UTC)</Th>
            <Th>
              <span className="sr-only">Actions</span>
            </Th>
          </THead>
          <TBody>
            {query.data.users.map((u) => (
              <tr key={u.id} className={u.disabledAt ? "opacity-60" : undefined}>
                <Td>
                  <div className="font-medium">{u.email}</div>
                  <div className="text-xs text-slate-500">
                    {u.name ? `${u.name} · ` : ""}
                    {u.source}
                    {u.email === me ? " · you" : ""}
                  </div>
                </Td>
                <Td className="min-w-32">
                  <Select aria-label={`Role of ${u.email}`} name={`role-${u.id}`} value={u.role} onChange={(e) => update.mutate({ id: u.id, role: e.target.value as Role })}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </Select>
                </Td>
                <Td>
                  <div className="flex flex-wrap gap-1">{u.groups.length ? u.groups.map((g) => <Badge key={g}>{g}</Badge>) : <span className="text-sm text-slate-500">none</span>}</div>
                </Td>
                <Td className="min-w-36">
                  <Select aria-label={`Gateway identity of ${u.email}`} name={`identity-${u.id}`} value={u.identityName ?? ""} onChange={(e) => update.mutate({ id: u.id, identityName: e.target.value || null })}>
                    <option value="">not linked</option>
                    {query.data.identities.map((n) => (
                      <option key={n}>{n}</option>
                    ))}
                  </Select>
                </Td>
                <Td className="whitespace-nowrap tabular-nums text-slate-500">{u.lastSignInAt ? formatTime(u.lastSignInAt) : "never"}</Td>
                <Td className="text-right">
                  {u.disabledAt ? <Badge tone="slate">disabled</Badge> : null}{" "}
                  <Button size="sm" variant="secondary" onClick={() => update.mutate({ id: u.id, disabled: !u.disabledAt })}>
                    {u.disabledAt ? "Enable" : "Disable"}
                  </Button>
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
      ) : null}
    </div>
  );
}
