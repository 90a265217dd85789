import type { AuditHealth } from "../../server/audit/audit-health";
import { Badge, Card } from "../ui/page";
import { formatAgo as ago, Table, TBody, Td, Th, THead } from "../ui/table";

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The audit log's integrity (the last chain verification) and its delivery to SIEM sinks, above the search. */
export function AuditHealthPanel({ health, now }: { health: AuditHealth; now: Date }) {
  const { verify, verifyTone, sinks } = health;
  const verdict = !verify ? "Never verified" : !verify.ok ? "Chain broken" : verifyTone === "amber" ? "Verification due" : "Chain intact";
  return (
    <div className="mb-6">
      <Card title="Integrity and delivery">
        <div className="space-y-4 text-sm text-slate-600" data-testid="audit-health">
          <div className="flex flex-wrap items-start gap-3">
            <Badge tone={verifyTone}>{verdict}</Badge>
            <p className="min-w-0 flex-1">
              {verify ? (
                <>
                  Last checked {ago(verify.at, now)} ({utc(verify.at)}){verify.by ? ` by ${verify.by}` : ""}: {verify.message ?? (verify.ok ? "intact" : "a problem was found")}.
                </>
              ) : (
                <>Nobody has checked yet that no event was edited, removed or reordered.</>
              )}{" "}
              Run <code className="rounded bg-slate-100 px-1 py-0.5 text-xs">npx gatehouse audit verify</code> on a machine with the database’s credentials
              {verify && !verify.ok ? " after you have found what changed; the failing run names the first event ids affected" : ""}.
            </p>
          </div>
          {sinks.length === 0 ? (
            <p>
              No SIEM sink has reported: events stay in this database only. Set <code className="rounded bg-slate-100 px-1 py-0.5 text-xs">GATEHOUSE_AUDIT_SYSLOG</code>,{" "}
              <code className="rounded bg-slate-100 px-1 py-0.5 text-xs">GATEHOUSE_AUDIT_WEBHOOK_URL</code> or another sink on the gateway to stream them (see the README, Audit).
            </p>
          ) : (
            <Table label="SIEM sinks">
              <THead>
                <tr>
                  <Th>Sink</Th>
                  <Th>Status</Th>
                  <Th>Behind</Th>
                  <Th>Last delivery</Th>
                </tr>
              </THead>
              <TBody>
                {sinks.map((s) => (
                  <tr key={s.name}>
                    <Td className="font-medium text-slate-800">{s.name}</Td>
                    <Td>
                      <Badge tone={s.tone}>{s.status}</Badge>
                      {s.lastError ? <p className="mt-1 max-w-md break-words text-xs text-rose-700">{s.lastError}</p> : null}
                    </Td>
                    <Td>{s.behind === 0 ? "up to date" : `${s.behind.toLocaleString("en")} event(s)`}</Td>
                    <Td>{s.deliveredAt ? `${ago(s.deliveredAt, now)} (up to event ${s.deliveredUpTo})` : "nothing delivered yet"}</Td>
                  </tr>
                ))}
              </TBody>
            </Table>
          )}
        </div>
      </Card>
    </div>
  );
}
