import type { auditEvents } from "../../drizzle/schema/index";

type AuditEvent = typeof auditEvents.$inferSelect;

const OUTCOME_STYLE: Record<AuditEvent["outcome"], string> = {
  ok: "bg-emerald-50 text-emerald-700 ring-emerald-200",
  denied: "bg-amber-50 text-amber-800 ring-amber-200",
  error: "bg-rose-50 text-rose-700 ring-rose-200",
};

const when = (at: Date) => at.toISOString().replace("T", " ").slice(0, 19);

/** The latest audit events, newest first, as a person scans them: who, where, what, and how it ended. */
export function AuditTable({ events }: { events: AuditEvent[] }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-3 py-2 font-semibold">Time (UTC)</th>
            <th className="px-3 py-2 font-semibold">Identity</th>
            <th className="px-3 py-2 font-semibold">Connection</th>
            <th className="px-3 py-2 font-semibold">Action</th>
            <th className="px-3 py-2 font-semibold">Statement or message</th>
            <th className="px-3 py-2 font-semibold">Outcome</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {events.map((e) => (
            <tr key={e.id} className="align-top">
              <td className="whitespace-nowrap px-3 py-2 tabular-nums text-slate-500">{when(e.at)}</td>
              <td className="px-3 py-2">{e.identityName ?? "—"}</td>
              <td className="px-3 py-2">{e.connectionName ?? "—"}</td>
              <td className="whitespace-nowrap px-3 py-2 text-slate-600">{e.statementKind ?? e.action}</td>
              <td className="min-w-64 max-w-md px-3 py-2">
                <code className="line-clamp-3 break-words font-mono text-xs text-slate-800">{e.statement ?? e.message ?? ""}</code>
                {e.statement && e.message ? <p className="mt-1 text-xs text-slate-500">{e.message}</p> : null}
              </td>
              <td className="whitespace-nowrap px-3 py-2">
                <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${OUTCOME_STYLE[e.outcome]}`}>
                  {e.outcome}
                  {e.sqlstate ? ` · ${e.sqlstate}` : ""}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
