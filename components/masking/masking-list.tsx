"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { buttonClass } from "../ui/button";
import { Badge, EmptyState, ErrorBox, LoadingRows } from "../ui/page";
import { Table, TBody, Td, Th, THead, formatTime } from "../ui/table";

export function MaskingList({ canAddConnection }: { canAddConnection: boolean }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.masking.list.queryOptions());
  if (query.isPending) return <LoadingRows />;
  if (query.isError) return <ErrorBox message={describeError(query.error).message} retry={() => void query.refetch()} />;
  if (query.data.length === 0) {
    return (
      <EmptyState
        title="No connections to mask yet"
        action={
          canAddConnection ? (
            <Link href="/connections/new" className={buttonClass()}>
              Add a connection
            </Link>
          ) : undefined
        }
      >
        Masking rules belong to a connection: {canAddConnection ? "add one first." : "an admin adds connections first."}
      </EmptyState>
    );
  }
  return (
    <Table label="Masking rules">
      <THead>
        <Th>Connection</Th>
        <Th>Column rules</Th>
        <Th>Detectors</Th>
        <Th>Detector style</Th>
        <Th>Exempt groups</Th>
        <Th>Updated (UTC)</Th>
      </THead>
      <TBody>
        {query.data.map((c) => (
          <tr key={c.id}>
            <Td className="whitespace-nowrap">
              <Link href={`/masking/${encodeURIComponent(c.name)}`} className="font-medium text-brand hover:underline">
                {c.name}
              </Link>
            </Td>
            {c.state === "set" ? (
              <>
                <Td className="tabular-nums">{c.summary.columnRules}</Td>
                <Td className="whitespace-nowrap text-sm">
                  {c.summary.builtIn === "all" ? `all ${c.builtInCount} built-in` : `${c.summary.builtIn} of ${c.builtInCount} built-in`}
                  {c.summary.custom ? ` + ${c.summary.custom} custom` : ""}
                </Td>
                <Td>
                  <Badge>{c.summary.detectorStyle}</Badge>
                </Td>
                <Td className="text-sm">{c.summary.exemptGroups.join(", ") || <span className="text-slate-400">none</span>}</Td>
              </>
            ) : (
              <Td colSpan={4}>{c.state === "none" ? <Badge tone="amber">no rules: results pass unmasked</Badge> : <Badge tone="red">stored rules unreadable: sessions are refused</Badge>}</Td>
            )}
            <Td className="whitespace-nowrap tabular-nums text-slate-500">{c.updatedAt ? formatTime(c.updatedAt) : "—"}</Td>
          </tr>
        ))}
      </TBody>
    </Table>
  );
}
