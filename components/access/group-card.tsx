"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Field, TextInput } from "../ui/field";
import { GroupGrants } from "./group-grants";
import { GroupMembers } from "./group-members";
import type { AccessGroup, AccessOverview } from "./types";

/** One group: its name (rename, delete), who is in it, and which connections its members may use. */
export function GroupCard({ group, options }: { group: AccessGroup; options: AccessOverview }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Resolves once the group's data is fetched again (a checkbox holds its click until then).
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.access.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.connections.pathKey() })]).then(() => {});
  const remove = useMutation(trpc.access.deleteGroup.mutationOptions({ onSuccess: refresh }));
  const rename = useMutation(trpc.access.renameGroup.mutationOptions({ onSuccess: () => (setRenaming(null), refresh()) }));
  const [confirming, setConfirming] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  const renameFailure = rename.error ? describeError(rename.error) : undefined;
  return (
    <section aria-label={`Group ${group.name}`} className="rounded-lg border border-slate-200 bg-white">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-100 px-4 py-3">
        {renaming === null ? (
          <h2 className="font-semibold text-slate-800">{group.name}</h2>
        ) : (
          <form
            className="flex flex-wrap items-start gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              rename.mutate({ id: group.id, name: renaming });
            }}
          >
            <div className="w-72 max-w-full">
              <Field
                label={`New name for ${group.name}`}
                name={`rename-${group.id}`}
                error={renameFailure ? (renameFailure.fields.name ?? renameFailure.message) : undefined}
                hint="OIDC tokens name groups too: a token that still says the old name loses this group's access."
              >
                <TextInput name={`rename-${group.id}`} value={renaming} onChange={(e) => setRenaming(e.target.value)} invalid={Boolean(renameFailure)} autoComplete="off" autoFocus />
              </Field>
            </div>
            <div className="flex gap-2 pt-6">
              <Button size="sm" type="submit" disabled={!renaming.trim() || rename.isPending}>
                Save name
              </Button>
              <Button size="sm" variant="ghost" onClick={() => (setRenaming(null), rename.reset())}>
                Cancel
              </Button>
            </div>
          </form>
        )}
        {renaming === null ? (
          <div className="flex gap-1">
            <Button size="sm" variant="ghost" aria-label={`Rename ${group.name}`} onClick={() => setRenaming(group.name)}>
              Rename
            </Button>
            <Button size="sm" variant="ghost" aria-label={`Delete group ${group.name}`} onClick={() => setConfirming(true)}>
              Delete…
            </Button>
          </div>
        ) : null}
      </div>
      <div className="grid gap-5 p-4 md:grid-cols-2">
        <GroupMembers group={group} identities={options.identities} refresh={refresh} />
        <GroupGrants group={group} connections={options.connections} refresh={refresh} />
      </div>
      <ConfirmDialog
        open={confirming}
        title={`Delete group ${group.name}?`}
        confirmWord={group.name}
        actionLabel="Delete group"
        pending={remove.isPending}
        error={remove.error ? describeError(remove.error).message : undefined}
        onClose={() => (setConfirming(false), remove.reset())}
        onConfirm={() => remove.mutate({ id: group.id, confirmName: group.name })}
      >
        {group.members.length} member{group.members.length === 1 ? "" : "s"} lose the access it gave
        {group.connectionIds.length ? ` to ${group.connectionIds.length} connection${group.connectionIds.length === 1 ? "" : "s"}` : ""} for new sessions. The identities and connections stay.
      </ConfirmDialog>
    </section>
  );
}
