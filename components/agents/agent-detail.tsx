"use client";
import { useState } from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/confirm-dialog";
import { Badge, Card, ErrorBox, LoadingRows } from "../ui/page";
import { GroupEditor } from "./group-editor";
import { IssueKey } from "./issue-key";
import type { PsqlHints } from "./key-dialog";
import { keyState, KeysTable } from "./keys-table";

/** One identity: what it can reach, its groups, its keys. */
export function AgentDetail({ id, hints }: { id: string; hints: PsqlHints }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.agents.get.queryOptions({ id }));
  const [confirmAll, setConfirmAll] = useState(false);
  const revokeAll = useMutation(
    trpc.agents.revokeAll.mutationOptions({
      onSuccess: () => {
        setConfirmAll(false);
        void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
      },
    }),
  );
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  const a = query.data;
  const now = new Date(a.now);
  const liveKeys = a.keys.filter((k) => ["green", "amber"].includes(keyState(k, now, a.hygiene).tone)).length;
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-center gap-2 text-sm text-slate-600">
        <Badge tone="blue">{a.kind}</Badge>
        <Badge>{a.source === "oidc" ? "OIDC" : "local"}</Badge>
        {a.disabledAt ? <Badge tone="red">disabled</Badge> : null}
        <span>
          {liveKeys} live key{liveKeys === 1 ? "" : "s"} · may use{" "}
          {a.connections.length ? (
            a.connections.join(", ")
          ) : (
            <>
              no connection yet (
              <Link href="/access" className="text-brand hover:underline">
                grant one to a group
              </Link>
              )
            </>
          )}
        </span>
      </div>
      <Card title="Groups">
        <GroupEditor id={a.id} name={a.name} groups={a.groups} known={a.allGroups} />
      </Card>
      <Card title="Issue a key">
        <IssueKey identity={a.name} disabled={!!a.disabledAt} hints={hints} />
      </Card>
      <Card
        title="Keys"
        actions={
          a.keys.some((k) => !k.revokedAt) ? (
            <Button size="sm" variant="danger" onClick={() => (revokeAll.reset(), setConfirmAll(true))}>
              Revoke all keys…
            </Button>
          ) : null
        }
      >
        <KeysTable name={a.name} keys={a.keys} now={now} hygiene={a.hygiene} />
      </Card>
      <ConfirmDialog
        open={confirmAll}
        title={`Revoke every key of ${a.name}?`}
        confirmWord={a.name}
        actionLabel="Revoke all keys"
        pending={revokeAll.isPending}
        error={revokeAll.error ? describeError(revokeAll.error).message : undefined}
        onClose={() => setConfirmAll(false)}
        onConfirm={() => revokeAll.mutate({ identity: a.name })}
      >
        All its live sessions end on every gateway instance, and it cannot connect again until it gets a new key.
      </ConfirmDialog>
    </div>
  );
}
