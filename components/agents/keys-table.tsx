"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Badge, EmptyState, ErrorBox } from "../ui/page";
import { ModalDialog } from "../ui/modal-dialog";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

type KeyRow = {
  id: string;
  prefix: string;
  createdAt: Date | string;
  expiresAt: Date | string | null;
  revokedAt: Date | string | null;
  lastUsedAt: Date | string | null;
  lastUsedAddr?: string | null;
  lastUsedProtocol?: string | null;
};
type Hygiene = { unusedDays: number; expireUnusedDays: number | null };

const DAY_MS = 86_400_000;

/** A key's state as the gateway sees it: revoked, expired (its TTL, or unused past GATEHOUSE_KEY_UNUSED_EXPIRE), unused (flagged), live. */
export function keyState(k: KeyRow, now: Date, hygiene: Hygiene): { label: string; tone: "slate" | "amber" | "green" } {
  if (k.revokedAt) return { label: "revoked", tone: "slate" };
  if (k.expiresAt && new Date(k.expiresAt) <= now) return { label: "expired", tone: "slate" };
  const idleDays = Math.floor((now.getTime() - new Date(k.lastUsedAt ?? k.createdAt).getTime()) / DAY_MS);
  if (hygiene.expireUnusedDays !== null && idleDays >= hygiene.expireUnusedDays) return { label: `expired (unused ${idleDays} days)`, tone: "slate" };
  if (idleDays >= hygiene.unusedDays) return { label: `unused ${idleDays} days`, tone: "amber" };
  return { label: "live", tone: "green" };
}

function KeyState({ k, now, hygiene }: { k: KeyRow; now: Date; hygiene: Hygiene }) {
  const s = keyState(k, now, hygiene);
  return <Badge tone={s.tone}>{s.label}</Badge>;
}

/** The identity's keys, newest first, each revocable on its own after a confirmation. */
export function KeysTable({ name, keys, now, hygiene }: { name: string; keys: KeyRow[]; now: Date; hygiene: Hygiene }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<KeyRow | null>(null);
  const revoke = useMutation(
    trpc.agents.revokeKey.mutationOptions({
      onSuccess: () => {
        setTarget(null);
        void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
      },
    }),
  );
  if (keys.length === 0) return <EmptyState title="No keys yet">Issue one above; it is shown once.</EmptyState>;
  return (
    <>
      <Table label={`Keys of ${name}`}>
        <THead>
          <Th>Key</Th>
          <Th>State</Th>
          <Th>Created (UTC)</Th>
          <Th>Expires (UTC)</Th>
          <Th>Last use (UTC)</Th>
          <Th>Revoked (UTC)</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </THead>
        <TBody>
          {keys.map((k) => (
            <tr key={k.id}>
              <Td className="whitespace-nowrap font-mono text-xs">{k.prefix}…</Td>
              <Td>
                <KeyState k={k} now={now} hygiene={hygiene} />
              </Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(k.createdAt)}</Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{k.expiresAt ? formatTime(k.expiresAt) : "never"}</Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">
                {k.lastUsedAt ? formatTime(k.lastUsedAt) : "never"}
                {k.lastUsedAddr || k.lastUsedProtocol ? (
                  <span className="block text-xs">
                    from {k.lastUsedAddr ?? "?"} ({k.lastUsedProtocol ?? "?"})
                  </span>
                ) : null}
              </Td>
              <Td className="whitespace-nowrap tabular-nums text-slate-500">{k.revokedAt ? formatTime(k.revokedAt) : "—"}</Td>
              <Td className="text-right">
                {!k.revokedAt ? (
                  <Button size="sm" variant="secondary" aria-label={`Revoke key ${k.prefix}`} onClick={() => (revoke.reset(), setTarget(k))}>
                    Revoke
                  </Button>
                ) : null}
              </Td>
            </tr>
          ))}
        </TBody>
      </Table>
      <ModalDialog open={!!target} title={`Revoke key ${target?.prefix ?? ""}…?`} onClose={() => setTarget(null)}>
        <p className="text-sm text-slate-600">{name} can no longer connect with this key, and the sessions opened with it end now, on every gateway instance. Its other keys keep working.</p>
        {revoke.error ? <ErrorBox title="Not revoked" message={describeError(revoke.error).message} /> : null}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setTarget(null)}>
            Cancel
          </Button>
          <Button variant="danger" disabled={revoke.isPending} onClick={() => target && revoke.mutate({ keyId: target.id })}>
            {revoke.isPending ? "Revoking…" : "Revoke key"}
          </Button>
        </div>
      </ModalDialog>
    </>
  );
}
