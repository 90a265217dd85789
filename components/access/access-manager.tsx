"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { GroupCard } from "./group-card";

export function AccessManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.access.overview.queryOptions());
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.access.createGroup.mutationOptions({
      onSuccess: () => {
        setName("");
        void queryClient.invalidateQueries({ queryKey: trpc.access.pathKey() });
      },
    }),
  );
  const failure = create.error ? describeError(create.error) : undefined;
  return (
    <div className="space-y-4">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name });
        }}
      >
        <div className="w-64">
          <Field label="New group" name="group-name" error={failure?.fields.name ?? (failure ? failure.message : undefined)} hint="Letters, digits, '.', '_', ':' or '-'.">
            <TextInput name="group-name" value={name} onChange={(e) => (setName(e.target.value), create.reset())} placeholder="analysts" invalid={Boolean(failure)} />
          </Field>
        </div>
        <Button type="submit" disabled={!name || create.isPending}>
          Create group
        </Button>
      </form>
      {query.isPending ? <LoadingRows label="Loading groups…" /> : null}
      {query.isError ? <ErrorBox title="Could not load groups" message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.data && query.data.groups.length === 0 ? (
        <EmptyState title="No groups yet">
          Create a group above, add agents and people to it, and tick the connections its members may use. From a shell: <code className="font-mono text-xs">gatehouse grant analysts pg-prod</code>
        </EmptyState>
      ) : null}
      {query.data?.groups.map((g) => (
        <GroupCard key={g.id} group={g} options={query.data} />
      ))}
    </div>
  );
}
