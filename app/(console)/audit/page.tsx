import { AuditSearch, type AuditFilters } from "../../../components/audit/audit-search";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";
import { AuditHealthPanel } from "../../../components/audit/audit-health";
import { readAuditHealth } from "../../../server/audit/audit-health";
import { getDb } from "../../../server/db";

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { user, allowed, need } = await requireSection("audit");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  const p = await searchParams;
  const outcome = p.outcome === "ok" || p.outcome === "error" || p.outcome === "denied" ? p.outcome : undefined;
  const session = p.session && /^[0-9a-f-]{36}$/i.test(p.session) ? p.session : undefined;
  const initial: AuditFilters = { q: p.q, identity: p.identity, connection: p.connection, action: p.action, outcome, session, from: p.from, to: p.to };
  const now = new Date();
  const health = await readAuditHealth(getDb(), now);
  return (
    <>
      <PageHeader title="Audit log" description="Append-only: every statement, refusal, sign-in and console change. Click a row for its details." />
      <AuditHealthPanel health={health} now={now} />
      <AuditSearch initial={initial} />
    </>
  );
}
