"use client";
import { useRef, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LifetimeSelect } from "../agents/issue-key";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { CopyButton, selectContents } from "../ui/copy-button";
import { ModalDialog } from "../ui/modal-dialog";
import { ErrorBox } from "../ui/page";
import { formatTime } from "../ui/table";
import { connectorCommand } from "./connector-command";

/**
 * Issues a token for a connector and shows it the one time it is visible, with the command that runs
 * the connector; nothing keeps it after the dialog closes.
 */
export function TokenDialog({ connector, gatewayUrl, onClose }: { connector: string | null; gatewayUrl: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [ttl, setTtl] = useState(0);
  const tokenRef = useRef<HTMLElement>(null);
  const lineRef = useRef<HTMLPreElement>(null);
  const issue = useMutation(trpc.connectors.issueToken.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.connectors.pathKey() }) }));
  const close = () => {
    issue.reset();
    setTtl(0);
    onClose();
  };
  const issued = issue.data;
  const line = issued ? connectorCommand(issued.token, gatewayUrl) : "";
  return (
    <ModalDialog open={connector !== null} title={issued ? `New token for connector ${connector}` : `Issue a token for connector ${connector}`} onClose={close} wide>
      {issued ? (
        <div className="space-y-4 text-sm">
          <p className="rounded-md bg-amber-50 px-3 py-2 font-medium text-amber-900 ring-1 ring-amber-200">Copy this token now: Gatehouse stores only its hash, and you will not see it again.</p>
          <div className="space-y-2">
            <code ref={tokenRef} data-testid="new-connector-token" className="block break-all rounded bg-slate-100 px-3 py-2 font-mono text-sm text-slate-900">
              {issued.token}
            </code>
            <CopyButton text={issued.token} label="Copy token" onFail={() => selectContents(tokenRef.current)} />
          </div>
          <p className="text-slate-600">
            {issued.expiresAt ? `Valid until ${formatTime(issued.expiresAt)} UTC.` : "It never expires: revoke it when the connector is retired."} Later you will recognise it by its start,{" "}
            <code className="font-mono">{issued.prefix}…</code>
          </p>
          <div className="space-y-2 border-t border-slate-100 pt-3">
            <p className="font-medium text-slate-800">Run the connector on a machine beside the targets</p>
            <pre ref={lineRef} aria-label="connector command" className="overflow-x-auto whitespace-pre-wrap rounded [overflow-wrap:anywhere] bg-slate-100 px-3 py-2 font-mono text-xs text-slate-800">
              {line}
            </pre>
            <CopyButton text={line} label="Copy command" onFail={() => selectContents(lineRef.current)} />
            <p className="text-xs text-slate-500">
              It only dials out, to the gateway&apos;s port; nothing needs to reach it. If the gateway uses the certificate it generated itself, add{" "}
              <code className="font-mono">--ca tls-cert.pem</code> (from the gateway&apos;s data folder); <code className="font-mono">--allow host:port,...</code> limits the targets it will dial.
            </p>
          </div>
          <div className="flex justify-end border-t border-slate-100 pt-3">
            <Button onClick={close}>I have copied it</Button>
          </div>
        </div>
      ) : (
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            if (connector) issue.mutate({ name: connector, ttlSeconds: ttl || undefined });
          }}
        >
          <p className="text-sm text-slate-600">Each connector process needs a token; several processes of one connector may each hold their own, and take over from each other.</p>
          <LifetimeSelect label="Token lifetime" value={ttl} onChange={setTtl} />
          {issue.error ? <ErrorBox title="No token issued" message={describeError(issue.error).message} /> : null}
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" disabled={issue.isPending}>
              {issue.isPending ? "Issuing…" : "Issue token"}
            </Button>
          </div>
        </form>
      )}
    </ModalDialog>
  );
}
