"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ModalDialog } from "../ui/modal-dialog";
import { Card, ErrorBox } from "../ui/page";
import { formatTime } from "../ui/table";

export type HostKeyPin = { id: string; name: string; host: string; port: number; hostKey?: string; pinnedAt?: string; pinnedBy?: string };

/** How the pin came to be: the gateway's first connection, an admin in the console, or the CLI's --host-key. */
function pinOrigin(pin: HostKeyPin): string {
  const at = pin.pinnedAt && !Number.isNaN(Date.parse(pin.pinnedAt)) ? `${formatTime(pin.pinnedAt)} UTC` : undefined;
  if (pin.pinnedBy) return `Pinned by ${pin.pinnedBy} in the console${at ? ` on ${at}` : ""}.`;
  if (at) return `Pinned at first use on ${at}.`;
  return "Pinned when the connection was added (--host-key).";
}

/**
 * The SSH connection's host key pin: the fingerprint the gateway checks the target against, and
 * forgetting it (after a confirmation that says what that opens up) so the next connection re-pins.
 */
export function SshHostKeyCard({ pin }: { pin: HostKeyPin }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const forget = useMutation(
    trpc.connections.forgetHostKey.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        router.refresh();
      },
    }),
  );
  return (
    <Card title="Host key">
      {pin.hostKey ? (
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0 space-y-1 text-sm text-slate-700">
            <p>
              The gateway only connects to {pin.host}:{pin.port} while it presents this key:
            </p>
            <p>
              <code data-testid="pinned-host-key" className="break-all rounded bg-slate-50 px-1.5 py-0.5 font-mono text-xs text-slate-800">
                {pin.hostKey}
              </code>
            </p>
            <p className="text-xs text-slate-500">{pinOrigin(pin)}</p>
          </div>
          <Button variant="secondary" onClick={() => (forget.reset(), setConfirming(true))}>
            Forget pinned key…
          </Button>
        </div>
      ) : (
        <p className="text-sm text-slate-700">
          <span className="font-medium">Not pinned yet: the first connection pins it.</span>{" "}
          <span className="text-slate-500">Test connection shows the key {pin.host} offers now; you can also pin one up front in the form above.</span>
        </p>
      )}
      <ModalDialog open={confirming} title={`Forget the pinned host key of ${pin.name}?`} onClose={() => setConfirming(false)}>
        <div className="space-y-2 text-sm text-slate-600">
          <p>
            Until a key is pinned again, the gateway trusts{" "}
            <strong className="font-medium text-slate-800">
              whatever key {pin.host}:{pin.port} offers on its next connection
            </strong>
            , and sends it the connection&apos;s credential and the sessions&apos; commands.
          </p>
          <p>
            If the key changed because something is intercepting the traffic, that impostor gets pinned. Check the new fingerprint on the target itself first (
            <code className="font-mono text-xs">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>) and compare it with what Test connection shows.
          </p>
        </div>
        {forget.error ? <ErrorBox title="Not forgotten" message={describeError(forget.error).message} /> : null}
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
          <Button variant="danger" disabled={forget.isPending || !pin.hostKey} onClick={() => pin.hostKey && forget.mutate({ id: pin.id, fingerprint: pin.hostKey })}>
            {forget.isPending ? "Forgetting…" : "Forget the pinned key"}
          </Button>
        </div>
      </ModalDialog>
    </Card>
  );
}
