"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Badge, Card, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";
import type { PsqlHints } from "./key-dialog";
import { NewAgentForm } from "./new-agent-form";

/** Every identity the gateway knows (agents and people), and the form that adds an agent. */
export function AgentList({ hints, cli }: { hints: PsqlHints; cli: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.agents.list.queryOptions());
  const rows = query.data?.identities;
  return (
    <div className="space-y-5">
      <Card title={rows?.length === 0 ? "Create your first agent" : "New agent"}>
        <NewAgentForm knownGroups={query.data?.groups ?? []} hints={hints} />
      </Card>
      {query.isPending ? <LoadingRows /> : null}
      {query.isError ? <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {rows?.length === 0 ? (
        <EmptyState title="No agents or people yet">
          <p>Create one above, or from a shell:</p>
          <pre className="mt-2 whitespace-pre-wrap break-all rounded bg-slate-100 px-3 py-2 text-left font-mono text-xs text-slate-700">{`${cli} keys issue agent-7 --groups analysts --ttl 1h`}</pre>
          <p className="mt-2">People who connect with an OIDC token appear here on first use.</p>
        </EmptyState>
      ) : null}
      {rows && rows.length > 0 ? (
        <Table label="Identities">
          <THead>
            <Th>Name</Th>
            <Th>Kind</Th>
            <Th>Groups</Th>
            <Th>Live keys</Th>
            <Th>Last use (UTC)</Th>
            <Th>Created (UTC)</Th>
          </THead>
          <TBody>
            {rows.map((i) => (
              <tr key={i.id} className={i.disabledAt ? "bg-slate-50" : undefined}>
                <Td>
                  <Link href={`/agents/${i.id}`} className="font-medium text-brand hover:underline">
                    {i.name}
                  </Link>
                  {i.disabledAt ? (
                    <span className="ml-2">
                      <Badge tone="red">disabled</Badge>
                    </span>
                  ) : null}
                </Td>
                <Td className="whitespace-nowrap text-slate-600">
                  {i.kind}
                  {i.source === "oidc" ? <span className="text-xs text-slate-500"> · OIDC</span> : null}
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
