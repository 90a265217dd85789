"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Card, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { AddConnectorForm } from "./add-connector-form";
import { ConnectorCard } from "./connector-card";
import { connectorCommand } from "./connector-command";
import { TokenDialog } from "./token-dialog";

/** What a connector is, and the commands that set one up from a shell. */
function FirstSteps({ cli, gatewayUrl }: { cli: string; gatewayUrl: string }) {
  const lines = [`${cli} connectors add site-a`, `${cli} connectors token site-a`, connectorCommand("<token>", gatewayUrl)];
  return (
    <>
      <p>
        A connector is a small process you run beside targets in a network the gateway cannot reach. It dials out to the gateway (nothing has to reach it), and connections routed through it reach
        their targets over its link. Add one, issue its token, then run it on a machine in that network:
      </p>
      {lines.map((line) => (
        <code key={line} className="mt-2 block rounded bg-slate-50 px-2 py-1 text-left font-mono text-xs text-slate-700 [overflow-wrap:anywhere]">
          {line}
        </code>
      ))}
    </>
  );
}

/** The Connectors page: every connector as a card; admins add, issue tokens, revoke and remove. */
export function ConnectorsView({ canEdit, gatewayUrl, cli }: { canEdit: boolean; gatewayUrl: string; cli: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery({ ...trpc.connectors.list.queryOptions(), refetchInterval: 5000 });
  const [issuing, setIssuing] = useState<string | null>(null);
  // One confirm at a time: revoking a connector's tokens, or removing it.
  const [confirming, setConfirming] = useState<{ kind: "revoke" | "remove"; name: string } | null>(null);
  const revoke = useMutation(trpc.connectors.revokeTokens.mutationOptions());
  const remove = useMutation(trpc.connectors.remove.mutationOptions());
  const change = confirming?.kind === "revoke" ? revoke : remove;
  const done = () => {
    setConfirming(null);
    void queryClient.invalidateQueries({ queryKey: trpc.connectors.pathKey() });
  };
  const confirm = (kind: "revoke" | "remove") => (name: string) => {
    revoke.reset();
    remove.reset();
    setConfirming({ kind, name });
  };
  if (query.isPending) return <LoadingRows label="Loading connectors…" />;
  if (query.isError) return <ErrorBox title="Could not load the connectors" message={describeError(query.error).message} retry={() => void query.refetch()} />;
  // Relative times are counted from when the list was read (it is read again every 5 s).
  const now = new Date(query.dataUpdatedAt);
  const actions = canEdit ? { issue: setIssuing, revoke: confirm("revoke"), remove: confirm("remove") } : undefined;
  return (
    <div className="space-y-6">
      {query.data.length === 0 ? (
        <EmptyState title="No connectors yet">
          <FirstSteps cli={cli} gatewayUrl={gatewayUrl} />
          <p className="mt-3">{canEdit ? "Or add one below: its card then issues the token and shows the command." : "An admin adds them."}</p>
        </EmptyState>
      ) : (
        query.data.map((c) => <ConnectorCard key={c.name} c={c} now={now} actions={actions} />)
      )}
      {canEdit ? (
        <Card title="Add a connector">
          <AddConnectorForm />
        </Card>
      ) : null}
      <TokenDialog connector={issuing} gatewayUrl={gatewayUrl} onClose={() => setIssuing(null)} />
      <ConfirmDialog
        open={confirming !== null}
        title={confirming?.kind === "revoke" ? `Revoke every token of ${confirming.name}?` : `Remove connector ${confirming?.name ?? ""}?`}
        confirmWord={confirming?.name ?? ""}
        actionLabel={confirming?.kind === "revoke" ? "Revoke tokens" : "Remove connector"}
        pending={change.isPending}
        error={change.error ? describeError(change.error).message : undefined}
        onConfirm={() => confirming && change.mutate({ name: confirming.name }, { onSuccess: done })}
        onClose={() => setConfirming(null)}
      >
        {confirming?.kind === "revoke"
          ? "Every gateway drops its links at once, and the streams open over them fail: the connections routed through it are unreachable until a process runs with a new token."
          : "Its tokens go with it and its links drop. A connector that connections still route through cannot be removed: route them elsewhere first."}
      </ConfirmDialog>
    </div>
  );
}
