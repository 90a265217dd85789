"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Badge, Card, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import { IssueKey, type PsqlHints } from "./issue-key";

export function AgentList({ hints, cli }: { hints: PsqlHints; cli: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.agents.list.queryOptions());
  return (
    <div className="space-y-5">
      <Card title="New agent">
        <IssueKey hints={hints} />
      </Card>
      {query.isPending ? <LoadingRows /> : null}
      {query.isError ? <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.data?.length === 0 ? (
        <EmptyState title="No agents or people yet">
          Create an agent above, or from a shell: <code className="font-mono text-xs">{cli} keys issue agent-7 --groups analysts --ttl 1h</code>. People who sign in with an
          OIDC token appear here on first use.
        </EmptyState>
      ) : null}
      {query.data && query.data.length > 0 ? (
        <Table label="Identities">
          <THead>
            <Th>Name</Th>
            <Th>Groups</Th>
            <Th>Live keys</Th>
            <Th>Last use (UTC)</Th>
            <Th>Created (UTC)</Th>
          </THead>
          <TBody>
            {query.data.map((i) => (
              <tr key={i.id}>
                <Td>
                  <Link href={`/agents/${i.id}`} className="font-medium text-brand hover:underline">
                    {i.name}
                  </Link>
                  <div className="text-xs text-slate-500">
                    {i.kind} · {i.source}
                    {i.disabledAt ? " · disabled" : ""}
                  </div>
                </Td>
                <Td>
                  <div className="flex flex-wrap gap-1">{i.groups.length ? i.groups.map((g) => <Badge key={g}>{g}</Badge>) : <span className="text-sm text-slate-500">none</span>}</div>
                </Td>
                <Td className="tabular-nums">{i.liveKeys}</Td>
                <Td className="whitespace-nowrap tabular-nums text-slate-500">{i.lastUsedAt ? formatTime(i.lastUsedAt) : "never"}</Td>
                <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(i.createdAt)}</Td>
              </tr>
            ))}
          </TBody>
        </Table>
      ) : null}
    </div>
  );
}
