"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Badge, Card, ErrorBox, LoadingRows } from "../ui/page";
import { formatTime } from "../ui/table";

const STATE = {
  approved: { tone: "green", label: "approved" },
  new: { tone: "amber", label: "new: waiting" },
  changed: { tone: "red", label: "changed since approved" },
} as const;

/**
 * Tool pinning of an MCP connection: each tool its server offered when the gateway last looked, and
 * whether its definition (description and input schema) is the one an admin approved. A new or
 * changed tool is hidden from agents until approved here (or with `gatehouse mcp-tools approve`);
 * the approval is of the definition shown (its hash), not of whatever the server says next.
 */
export function McpToolsCard({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.connections.mcpTools.queryOptions({ id }));
  const approve = useMutation(trpc.connections.approveMcpTool.mutationOptions({ onSettled: () => void queryClient.invalidateQueries({ queryKey: trpc.connections.mcpTools.pathKey() }) }));
  return (
    <Card title="Tools">
      {query.isPending ? <LoadingRows label="Loading tools…" /> : null}
      {query.isError ? <ErrorBox title="Could not load the tools" message={describeError(query.error).message} retry={() => void query.refetch()} /> : null}
      {query.data && query.data.length === 0 ? <p className="text-sm text-slate-600">No tools seen yet: the gateway records them when an agent first lists or calls the tools of {name}.</p> : null}
      {approve.error ? <ErrorBox title="Not approved" message={describeError(approve.error).message} /> : null}
      <ul className="divide-y divide-slate-100" data-testid="mcp-tools">
        {(query.data ?? []).map((t) => (
          <li key={t.tool} className="space-y-1 py-3 text-sm">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <span className="flex items-center gap-2">
                <code className="font-mono text-slate-900">{t.tool}</code>
                <Badge tone={STATE[t.state].tone}>{STATE[t.state].label}</Badge>
              </span>
              {t.state === "approved" ? (
                <span className="text-xs text-slate-500">
                  {t.approvedBy ? `by ${t.approvedBy}` : ""}
                  {t.approvedAt ? ` on ${formatTime(t.approvedAt)} UTC` : ""}
                </span>
              ) : (
                <Button size="sm" disabled={approve.isPending} onClick={() => approve.mutate({ id, tool: t.tool, hash: t.seenHash })}>
                  Approve this definition
                </Button>
              )}
            </div>
            <p className="break-words text-slate-700">{t.description ?? <span className="italic text-slate-400">no description</span>}</p>
            {t.state === "changed" && t.approvedDescription !== t.description ? (
              <p className="break-words text-xs text-slate-500">Approved before: {t.approvedDescription ?? "no description"}</p>
            ) : null}
            {t.state !== "approved" ? (
              <details className="text-xs text-slate-500">
                <summary className="cursor-pointer">Input schema (sha256 {t.seenHash.slice(0, 16)}…)</summary>
                <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-slate-700">{JSON.stringify(t.inputSchema, null, 2)}</pre>
              </details>
            ) : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}
