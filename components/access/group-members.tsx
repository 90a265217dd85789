"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Select } from "../ui/field";
import { Badge, ErrorBox } from "../ui/page";
import type { AccessGroup, AccessOverview } from "./types";

/** Who is in a group: remove a member, or add an existing identity (agents and people). */
export function GroupMembers({ group, identities, refresh }: { group: AccessGroup; identities: AccessOverview["identities"]; refresh: () => void }) {
  const trpc = useTRPC();
  const membership = useMutation(trpc.access.setMembership.mutationOptions({ onSettled: refresh }));
  const [adding, setAdding] = useState("");
  const candidates = identities.filter((i) => !group.members.some((m) => m.name === i.name));
  const agents = candidates.filter((i) => i.kind === "agent");
  const people = candidates.filter((i) => i.kind === "person");
  return (
    <div>
      <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Members</h3>
      {group.members.length === 0 ? <p className="mt-2 text-sm text-slate-500">Nobody yet: add an agent or a person below.</p> : null}
      <ul className="mt-2 space-y-1" aria-label={`Members of ${group.name}`}>
        {group.members.map((m) => (
          <li key={m.name} className="flex items-center justify-between gap-2 text-sm">
            <span className="flex min-w-0 items-center gap-1.5">
              <span className="truncate">{m.name}</span>
              <Badge tone={m.kind === "person" ? "blue" : "slate"}>{m.kind}</Badge>
              {m.disabled ? <Badge tone="amber">disabled</Badge> : null}
            </span>
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Remove ${m.name} from ${group.name}`}
              disabled={membership.isPending}
              onClick={() => membership.mutate({ groupId: group.id, identityName: m.name, member: false })}
            >
              Remove
            </Button>
          </li>
        ))}
      </ul>
      {identities.length === 0 ? (
        <p className="mt-3 text-sm text-slate-500">
          No identities exist yet.{" "}
          <Link href="/agents" className="text-brand hover:underline">
            Create an agent
          </Link>{" "}
          first; people appear after they first connect through the gateway.
        </p>
      ) : (
        <form
          className="mt-3 flex gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (adding) membership.mutate({ groupId: group.id, identityName: adding, member: true }, { onSuccess: () => setAdding("") });
          }}
        >
          <Select aria-label={`Identity to add to ${group.name}`} name={`add-${group.id}`} value={adding} onChange={(e) => (setAdding(e.target.value), membership.reset())}>
            <option value="">{candidates.length ? "Add an identity…" : "Everyone is already a member"}</option>
            {agents.length ? (
              <optgroup label="Agents">
                {agents.map((i) => (
                  <option key={i.name} value={i.name}>
                    {i.name}
                  </option>
                ))}
              </optgroup>
            ) : null}
            {people.length ? (
              <optgroup label="People">
                {people.map((i) => (
                  <option key={i.name} value={i.name}>
                    {i.name}
                  </option>
                ))}
              </optgroup>
            ) : null}
          </Select>
          <Button size="sm" type="submit" disabled={!adding || membership.isPending}>
            Add
          </Button>
        </form>
      )}
      {membership.error ? (
        <div className="mt-2">
          <ErrorBox title="Membership not changed" message={describeError(membership.error).message} />
        </div>
      ) : null}
    </div>
  );
}
