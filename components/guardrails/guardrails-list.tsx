"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { buttonClass } from "../ui/button";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

export function GuardrailsList({ canAddConnection }: { canAddConnection: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.guardrails.list.queryOptions());
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  if (query.data.length === 0) {
    return (
      <EmptyState
        title="No connections to guard yet"
        action={
          canAddConnection ? (
            <Link href="/connections/new" className={buttonClass()}>
              Add a connection
            </Link>
          ) : undefined
        }
      >
        Guardrails are rules on a connection: {canAddConnection ? "add one first." : "an admin adds connections first."}
      </EmptyState>
    );
  }
  return (
    <Table label="Guardrail policies">
      <THead>
        <Th>Connection</Th>
        <Th>Policy</Th>
        <Th>When no rule matches</Th>
        <Th>Updated (UTC)</Th>
      </THead>
      <TBody>
        {query.data.map((c) => (
          <tr key={c.id}>
            <Td>
              <Link href={`/guardrails/${encodeURIComponent(c.name)}`} className="font-medium text-brand hover:underline">
                {c.name}
              </Link>
            </Td>
            <Td>
              {c.unreadable ? (
                <Badge tone="red">stored policy unreadable: sessions are refused</Badge>
              ) : c.hasPolicy ? (
                <span className="text-sm">
                  {c.rules} rule(s){c.reviewRules ? `, ${c.reviewRules} held for review` : ""}
                </span>
              ) : (
                <Badge tone="amber">no policy: everything is allowed</Badge>
              )}
            </Td>
            <Td>
              <Badge tone={c.defaultAction === "allow" ? "green" : c.defaultAction === "deny" ? "red" : "amber"}>{c.defaultAction}</Badge>
            </Td>
            <Td className="whitespace-nowrap tabular-nums text-slate-500">{c.updatedAt ? formatTime(c.updatedAt) : "—"}</Td>
          </tr>
        ))}
      </TBody>
    </Table>
  );
}
