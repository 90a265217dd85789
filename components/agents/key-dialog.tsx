"use client";
import { useRef, useState } from "react";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { psqlLine } from "../../server/agents/names";
import { useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { CopyButton, selectContents } from "../ui/copy-button";
import { Field, Select } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";
import { formatTime } from "../ui/table";

export type PsqlHints = { host: string; port: string };
export type IssuedKey = { key: string; prefix: string; identityId: string; expiresAt: Date | string | null };

/** The one time a key is visible: copy it, see how to use it, close. Nothing keeps it after. */
export function KeyDialog({ issued, identity, hints, onClose }: { issued: IssuedKey | null; identity: string; hints: PsqlHints; onClose: () => void }) {
  const trpc = useTRPC();
  const keyRef = useRef<HTMLElement>(null);
  const lineRef = useRef<HTMLPreElement>(null);
  // The connections this identity's groups may use become the choices for the psql line.
  const reach = useQuery({ ...trpc.agents.get.queryOptions({ id: issued?.identityId ?? "00000000-0000-0000-0000-000000000000" }), enabled: !!issued });
  const connections = reach.data?.connections ?? [];
  const [picked, setPicked] = useState("");
  const connection = connections.includes(picked) ? picked : (connections[0] ?? "<connection>");
  const line = issued ? psqlLine({ host: hints.host, port: hints.port, identity, connection, key: issued.key }) : "";
  return (
    <ModalDialog open={!!issued} title={`New key for ${identity}`} onClose={onClose} wide>
      {issued ? (
        <div className="space-y-4 text-sm">
          <p className="rounded-md bg-amber-50 px-3 py-2 font-medium text-amber-900 ring-1 ring-amber-200">Copy this key now: Gatehouse stores only its hash, and you will not see it again.</p>
          <div className="space-y-2">
            <code ref={keyRef} data-testid="new-key" className="block break-all rounded bg-slate-100 px-3 py-2 font-mono text-sm text-slate-900">
              {issued.key}
            </code>
            <CopyButton text={issued.key} label="Copy key" onFail={() => selectContents(keyRef.current)} />
          </div>
          <p className="text-slate-600">
            {issued.expiresAt ? `Valid until ${formatTime(issued.expiresAt)} UTC.` : "It never expires: revoke it when it is no longer needed."} Later you will recognise it by its start,{" "}
            <code className="font-mono">{issued.prefix}…</code>
          </p>
          <div className="space-y-2 border-t border-slate-100 pt-3">
            <p className="font-medium text-slate-800">Connect with psql</p>
            {connections.length > 1 ? (
              <Field label="Connection" name="psql-connection">
                <Select name="psql-connection" value={connection} onChange={(e) => setPicked(e.target.value)}>
                  {connections.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </Select>
              </Field>
            ) : null}
            {reach.isSuccess && connections.length === 0 ? (
              <p className="text-slate-600">
                {identity} may not use any connection yet: let one of its groups use one on{" "}
                <Link href="/access" className="font-medium text-brand hover:underline">
                  Access
                </Link>
                , then put the connection&apos;s name as the database.
              </p>
            ) : null}
            {reach.isPending ? (
              <p className="text-slate-500">Finding the connections it may use…</p>
            ) : (
              <>
                <pre ref={lineRef} aria-label="psql command" className="overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-100 px-3 py-2 font-mono text-xs text-slate-800">
                  {line}
                </pre>
                <CopyButton text={line} label="Copy psql command" onFail={() => selectContents(lineRef.current)} />
              </>
            )}
          </div>
          <div className="flex justify-end border-t border-slate-100 pt-3">
            <Button onClick={onClose}>I have copied it</Button>
          </div>
        </div>
      ) : null}
    </ModalDialog>
  );
}
