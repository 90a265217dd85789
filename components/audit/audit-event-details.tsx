import Link from "next/link";
import type { ReactNode } from "react";

export type AuditEventRow = {
  id: number;
  action: string;
  sessionId: string | null;
  clientAddr: string | null;
  protocol: string | null;
  groups: string[] | null;
  durationMs: number | null;
  rows: number | null;
  sqlstate: string | null;
  statement: string | null;
  message: string | null;
  details: Record<string, unknown> | null;
};

const json = (v: unknown) => JSON.stringify(v, null, 2);

/** An expanded audit row: every field of the event, and a console change's before and after side by side. */
export function AuditEventDetails({ e }: { e: AuditEventRow }) {
  const { before, after, ...rest } = e.details ?? {};
  return (
    <div className="space-y-3 text-xs text-slate-700">
      <dl className="grid grid-cols-1 gap-x-6 gap-y-1.5 sm:grid-cols-2 lg:grid-cols-4">
        <Item label="Event">
          #{e.id} · {e.action}
        </Item>
        {e.sessionId ? (
          <Item label="Session">
            <Link href={`/sessions/${e.sessionId}`} className="text-brand hover:underline">
              {e.sessionId.slice(0, 8)}… (open)
            </Link>
          </Item>
        ) : null}
        {e.clientAddr || e.protocol ? <Item label="Client">{[e.clientAddr, e.protocol].filter(Boolean).join(" · ")}</Item> : null}
        {e.groups?.length ? <Item label="Groups">{e.groups.join(", ")}</Item> : null}
        {e.durationMs != null ? <Item label="Duration">{e.durationMs} ms</Item> : null}
        {e.rows != null ? <Item label="Rows">{e.rows}</Item> : null}
        {e.sqlstate ? <Item label="SQLSTATE">{e.sqlstate}</Item> : null}
      </dl>
      {e.statement ? <Block label="Statement">{e.statement}</Block> : null}
      {e.message ? <Block label="Message">{e.message}</Block> : null}
      {before !== undefined || after !== undefined ? (
        <div className="grid gap-3 md:grid-cols-2">
          <Block label="Before">{before === undefined ? "(nothing)" : json(before)}</Block>
          <Block label="After">{after === undefined ? "(nothing)" : json(after)}</Block>
        </div>
      ) : null}
      {Object.keys(rest).length ? <Block label="Details">{json(rest)}</Block> : null}
    </div>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="break-words">{children}</dd>
    </div>
  );
}

function Block({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <p className="mb-1 uppercase tracking-wide text-slate-500">{label}</p>
      <pre className="max-h-80 overflow-auto whitespace-pre-wrap break-words rounded border border-slate-200 bg-white p-2 font-mono">{children}</pre>
    </div>
  );
}
