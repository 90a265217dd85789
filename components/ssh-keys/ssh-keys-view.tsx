"use client";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Field, Select } from "../ui/field";
import { Card, ErrorBox } from "../ui/page";
import { ConnectHint, type SshLogin } from "./connect-hint";
import { KeyManager } from "./key-manager";

/** The person's own keys; for admins, also any identity's, picked from a list. */
export function SshKeysView({ isAdmin, initialIdentity, login }: { isAdmin: boolean; initialIdentity?: string; login: SshLogin }) {
  return (
    <div className="space-y-6">
      <Card title="Your SSH keys">
        <KeyManager isAdmin={isAdmin} />
      </Card>
      <ConnectHint login={login} />
      {isAdmin ? <AnyIdentityKeys initialIdentity={initialIdentity} /> : null}
    </div>
  );
}

function AnyIdentityKeys({ initialIdentity }: { initialIdentity?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const owners = useQuery(trpc.sshKeys.owners.queryOptions());
  const [picked, setPicked] = useState(initialIdentity ?? "");
  const pick = (id: string) => {
    setPicked(id);
    router.replace(id ? `${pathname}?identity=${id}` : pathname, { scroll: false });
  };
  return (
    <Card title="Any identity's SSH keys (admin)">
      <div className="space-y-4">
        {owners.isError ? <ErrorBox title="Could not load identities" message={describeError(owners.error).message} retry={() => void owners.refetch()} /> : null}
        <div className="max-w-md">
          <Field label="Identity" name="ssh-key-owner" hint="People and agents; an agent's key lets a script or a bot use ssh without a Gatehouse key.">
            <Select name="ssh-key-owner" value={picked} onChange={(e) => pick(e.target.value)} disabled={owners.isPending}>
              <option value="">{owners.isPending ? "Loading…" : "Choose an identity"}</option>
              {owners.data?.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} ({o.kind}
                  {o.disabled ? ", disabled" : ""}) · {o.keys === 1 ? "1 key" : `${o.keys} keys`}
                </option>
              ))}
            </Select>
          </Field>
        </div>
        {picked ? <KeyManager key={picked} identityId={picked} /> : null}
      </div>
    </Card>
  );
}
