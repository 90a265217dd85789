"use client";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Badge, ErrorBox, LoadingRows } from "../ui/page";
import { AddKeyForm } from "./add-key-form";
import { KeyList } from "./key-list";
import { UnlinkedIdentity } from "../identity/unlinked-identity";

/** One identity's keys with the add form; no `identityId`: the signed-in person's own identity. */
export function KeyManager({ identityId, isAdmin }: { identityId?: string; isAdmin?: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.sshKeys.list.queryOptions({ identityId }));
  if (query.isPending) return <LoadingRows label="Loading SSH keys…" />;
  if (query.isError) return <ErrorBox title="Could not load the SSH keys" message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const view = query.data;
  if (view.kind === "unlinked") return <UnlinkedIdentity isAdmin={Boolean(isAdmin)} purpose="ssh-keys" />;
  const { owner, keys } = view;
  return (
    <div className="space-y-4">
      <p className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
        <span>
          Keys of <span className="font-medium text-slate-900">{owner.name}</span>
          {owner.isSelf ? ", your gateway identity" : ""}
        </span>
        {owner.isSelf ? null : <Badge tone={owner.kind === "agent" ? "blue" : "slate"}>{owner.kind}</Badge>}
        {owner.disabled ? <Badge tone="red">disabled</Badge> : null}
      </p>
      {owner.disabled ? <p className="text-sm text-rose-700">This identity is disabled: the gateway refuses its keys until an admin enables it again.</p> : null}
      <KeyList owner={owner} keys={keys} identityId={identityId} />
      <AddKeyForm owner={owner.name} identityId={identityId} />
    </div>
  );
}
