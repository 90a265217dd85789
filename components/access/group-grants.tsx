"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Badge, ErrorBox } from "../ui/page";
import type { AccessGroup, AccessOverview } from "./types";

/** The connections a group's members may use, one checkbox each. */
export function GroupGrants({ group, connections, refresh }: { group: AccessGroup; connections: AccessOverview["connections"]; refresh: () => Promise<void> }) {
  const trpc = useTRPC();
  // The box shows the click at once, and keeps it until the group's data is fetched again: cleared
  // when the server answered, it showed the old state again until then (a box that flicked back).
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const grant = useMutation(trpc.access.setGrant.mutationOptions({ onSettled: () => refresh().finally(() => setPending({})) }));
  return (
    <div>
      <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">May use</h3>
      {connections.length === 0 ? (
        <p className="mt-2 text-sm text-slate-500">
          No connections exist yet.{" "}
          <Link href="/connections/new" className="text-brand hover:underline">
            Add a connection
          </Link>
          .
        </p>
      ) : null}
      <ul className="mt-2 space-y-1.5">
        {connections.map((c) => {
          const on = pending[c.id] ?? group.connectionIds.includes(c.id);
          return (
            <li key={c.id}>
              <label className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={on}
                  aria-label={`${group.name} may use ${c.name}`}
                  onChange={() => (setPending({ ...pending, [c.id]: !on }), grant.mutate({ groupId: group.id, connectionId: c.id, granted: !on }))}
                />
                {c.name} <Badge>{c.type}</Badge>
              </label>
            </li>
          );
        })}
      </ul>
      {connections.length > 0 ? <p className="mt-2 text-xs text-slate-500">Applies to new sessions; a session already open keeps running.</p> : null}
      {grant.error ? (
        <div className="mt-2">
          <ErrorBox title="Access not changed" message={describeError(grant.error).message} />
        </div>
      ) : null}
    </div>
  );
}
