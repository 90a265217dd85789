"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Select } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";
import { Badge, ErrorBox } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { PasswordReveal } from "./password-reveal";
import { ROLES, type Role } from "./roles";

type User = {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  source: "local" | "oidc" | "saml" | "scim";
  groups: string[];
  identityName: string | null;
  lastSignInAt: Date | string | null;
  disabledAt: Date | string | null;
};
type Change = { id: string; role?: Role; disabled?: boolean; identityName?: string | null };

/** What a saved change did, in words (the table changes in place, and a select's new value is easy to miss). */
function describeChange(users: User[], c: Change): string {
  const who = users.find((u) => u.id === c.id)?.email ?? "the account";
  if (c.identityName !== undefined)
    return c.identityName
      ? `${who} is linked to the gateway identity ${c.identityName}: their browser terminals run as ${c.identityName}, and the audit names ${c.identityName} for what they type.`
      : `${who} is no longer linked to a gateway identity.`;
  if (c.role) return `${who} is now ${c.role === "admin" || c.role === "approver" || c.role === "auditor" ? "an" : "a"} ${c.role}.`;
  if (c.disabled !== undefined) return c.disabled ? `${who} is disabled and signed out.` : `${who} is enabled again.`;
  return `${who} changed.`;
}

/** Accounts with their role, groups, linked identity and state; changes apply at once, except to one's own account. */
export function UsersTable({ users, identities, me }: { users: User[]; identities: string[]; me: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
  const [changed, setChanged] = useState<string | null>(null);
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: (_, c) => (setSelfChange(null), setChanged(describeChange(users, c)), refresh()) }));
  const reset = useMutation(trpc.users.resetPassword.mutationOptions());
  const [selfChange, setSelfChange] = useState<Change | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  // Changing one's own role or disabling oneself may lock one out of this page: ask first.
  const change = (u: User, c: Change) => (u.email === me && (c.role || c.disabled) ? (update.reset(), setSelfChange(c)) : update.mutate(c));
  const closeReset = () => (setResetting(null), reset.reset());
  const closeSelf = () => (setSelfChange(null), update.reset());
  return (
    <>
      {update.error && !selfChange ? <ErrorBox title="Not changed" message={describeError(update.error).message} /> : null}
      <p role="status" aria-live="polite" className={changed && !update.error ? "rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800" : "sr-only"}>
        {changed && !update.error ? `Saved: ${changed}` : ""}
      </p>
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
          {users.map((u) => (
            <tr key={u.id} className={u.disabledAt ? "bg-slate-50" : undefined}>
              <Td>
                <div className="font-medium">
                  {u.email} {u.disabledAt ? <Badge tone="red">disabled</Badge> : null}
                </div>
                <div className="text-xs text-slate-500">
                  {u.name ? `${u.name} · ` : ""}
                  {u.source === "oidc" ? "single sign-on" : u.source === "saml" ? "single sign-on (SAML)" : u.source === "scim" ? "provisioned (SCIM)" : "local"}
                  {u.email === me ? " · you" : ""}
                </div>
              </Td>
              <Td className="min-w-32">
                <Select aria-label={`Role of ${u.email}`} name={`role-${u.id}`} value={u.role} disabled={update.isPending} onChange={(e) => change(u, { id: u.id, role: e.target.value as Role })}>
                  {ROLES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </Select>
              </Td>
              <Td>
                <div className="flex flex-wrap gap-1">{u.groups.length ? u.groups.map((g) => <Badge key={g}>{g}</Badge>) : <span className="text-sm text-slate-500">none</span>}</div>
              </Td>
              <Td className="min-w-36">
                <Select
                  aria-label={`Gateway identity of ${u.email}`}
                  name={`identity-${u.id}`}
                  value={u.identityName ?? ""}
                  onChange={(e) => change(u, { id: u.id, identityName: e.target.value || null })}
                >
                  <option value="">not linked</option>
                  {identities.map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </Select>
              </Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{u.lastSignInAt ? formatTime(u.lastSignInAt) : "never"}</Td>
              <Td className="whitespace-nowrap text-right">
                <div className="flex justify-end gap-1.5">
                  {u.source === "local" ? (
                    <Button size="sm" variant="ghost" aria-label={`Reset password of ${u.email}`} onClick={() => (reset.reset(), setResetting(u))}>
                      Reset password
                    </Button>
                  ) : null}
                  <Button
                    size="sm"
                    variant="secondary"
                    aria-label={`${u.disabledAt ? "Enable" : "Disable"} ${u.email}`}
                    disabled={update.isPending}
                    onClick={() => change(u, { id: u.id, disabled: !u.disabledAt })}
                  >
                    {u.disabledAt ? "Enable" : "Disable"}
                  </Button>
                </div>
              </Td>
            </tr>
          ))}
        </TBody>
      </Table>
      <ModalDialog open={!!selfChange} title={selfChange?.disabled ? "Disable your own account?" : `Change your own role to ${selfChange?.role ?? ""}?`} onClose={closeSelf}>
        <p className="text-sm text-slate-600">
          {selfChange?.disabled ? "You will be signed out at once and cannot sign in again until another admin enables you." : "You may lose access to this page and others at once."}
        </p>
        {update.error ? <ErrorBox title="Not changed" message={describeError(update.error).message} /> : null}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={closeSelf}>
            Cancel
          </Button>
          <Button variant="danger" disabled={update.isPending} onClick={() => selfChange && update.mutate(selfChange)}>
            {selfChange?.disabled ? "Disable my account" : "Change my role"}
          </Button>
        </div>
      </ModalDialog>
      <ModalDialog open={!!resetting} title={reset.data ? `New password for ${reset.data.email}` : `Reset the password of ${resetting?.email ?? ""}?`} onClose={closeReset}>
        {reset.data ? (
          <PasswordReveal email={reset.data.email} password={reset.data.password} />
        ) : (
          <p className="text-sm text-slate-600">Their current password stops working at once; a new one is generated and shown here once.</p>
        )}
        {reset.error ? <ErrorBox title="Not reset" message={describeError(reset.error).message} /> : null}
        <div className="flex justify-end gap-2">
          {reset.data ? (
            <Button onClick={closeReset}>Done</Button>
          ) : (
            <>
              <Button variant="secondary" onClick={closeReset}>
                Cancel
              </Button>
              <Button variant="danger" disabled={reset.isPending} onClick={() => resetting && reset.mutate({ id: resetting.id })}>
                {reset.isPending ? "Resetting…" : "Reset password"}
              </Button>
            </>
          )}
        </div>
      </ModalDialog>
    </>
  );
}
