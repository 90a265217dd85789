"use client";
import { OutcomeBadge } from "../../components/audit/outcome-badge";
import { Table, TBody, Td, Th, THead, formatTime } from "../../components/ui/table";
import type { auditEvents } from "../../drizzle/schema/index";

export type AuditRow = Pick<typeof auditEvents.$inferSelect, "id" | "at" | "identityName" | "connectionName" | "statementKind" | "action" | "outcome" | "sqlstate" | "statement" | "message">;

/**
 * The latest audit events, newest first, as a person scans them: who, where, what, and how it ended.
 * A client component fed plain rows: rendered on the server as a tree of elements, React's payload
 * sent each row as a chunk of its own, and when a row's chunk reached the browser after the table
 * the Overview's hydration failed (#418) on some loads.
 */
export function AuditTable({ events }: { events: AuditRow[] }) {
  return (
    <Table label="Latest audit events">
      <THead>
        <Th>Time (UTC)</Th>
        <Th>Identity</Th>
        <Th>Connection</Th>
        <Th>Action</Th>
        <Th>Outcome</Th>
        <Th>Statement or message</Th>
      </THead>
      <TBody>
        {events.map((e) => (
          <tr key={e.id} className="align-top">
            <Td className="whitespace-nowrap tabular-nums text-slate-500">{formatTime(e.at)}</Td>
            <Td>{e.identityName ?? "—"}</Td>
            <Td>{e.connectionName ?? "—"}</Td>
            <Td className="whitespace-nowrap text-slate-600">{e.statementKind ?? e.action}</Td>
            <Td className="whitespace-nowrap">
              <OutcomeBadge outcome={e.outcome} sqlstate={e.sqlstate} />
            </Td>
            <Td className="min-w-56 max-w-md">
              <code title={e.statement ?? e.message ?? undefined} className="line-clamp-3 break-words font-mono text-xs text-slate-800">
                {e.statement ?? e.message ?? ""}
              </code>
              {e.statement && e.message ? <p className="mt-1 text-xs text-slate-500">{e.message}</p> : null}
            </Td>
          </tr>
        ))}
      </TBody>
    </Table>
  );
}
