"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { splitGroups } from "../../server/agents/names";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ErrorBox } from "../ui/page";
import { GroupPicker } from "./group-picker";

/** The identity's groups: remove one with its ×, add existing or new ones below. Applies to new sessions. */
export function GroupEditor({ id, name, groups, known }: { id: string; name: string; groups: string[]; known: string[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState("");
  const save = useMutation(
    trpc.agents.setGroups.mutationOptions({
      onSuccess: () => {
        setDraft("");
        void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
      },
    }),
  );
  const failure = save.error ? describeError(save.error) : undefined;
  const addable = known.filter((g) => !groups.includes(g));
  return (
    <div className="space-y-4">
      <ul aria-label={`Groups of ${name}`} className="flex flex-wrap gap-2">
        {groups.length === 0 ? <li className="text-sm text-slate-500">In no group: it can reach no connection.</li> : null}
        {groups.map((g) => (
          <li key={g} className="inline-flex items-center gap-1 rounded-full bg-slate-100 py-0.5 pl-2.5 pr-1 text-sm text-slate-700 ring-1 ring-inset ring-slate-200">
            {g}
            <button
              type="button"
              aria-label={`Remove ${name} from ${g}`}
              disabled={save.isPending}
              onClick={() => save.mutate({ id, add: [], remove: [g] })}
              className="rounded-full px-1.5 text-slate-500 hover:bg-slate-200 hover:text-slate-900 disabled:opacity-50"
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form
        className="flex flex-wrap items-start gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ id, add: splitGroups(draft), remove: [] });
        }}
      >
        <div className="min-w-56 flex-1">
          <GroupPicker name="add-groups" label="Add to groups" value={draft} onChange={setDraft} known={addable} error={failure?.fields.add} />
        </div>
        <Button type="submit" className="mt-6" disabled={save.isPending || splitGroups(draft).length === 0}>
          Add
        </Button>
      </form>
      {failure && !failure.fields.add ? <ErrorBox title="Groups not changed" message={failure.message} /> : null}
    </div>
  );
}
