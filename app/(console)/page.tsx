import { getOverview } from "../../server/overview";
import { AuditTable } from "../_components/audit-table";
import { cliHints } from "../_components/cli-hints";
import { NextSteps } from "../_components/next-steps";
import { PageHeader } from "../../components/ui/page";
import { currentUser } from "../../server/auth/current-user";

// Live numbers: rendered on every request, never at build time (the database is not there then).
export const dynamic = "force-dynamic";

export default async function OverviewPage() {
  const hints = cliHints();
  const user = await currentUser();
  if (user?.role === "member") return <MemberOverview />;
  const overview = await getOverview().catch((err: Error) => err);
  if (overview instanceof Error) return <DatabaseUnavailable reason={overview.message} />;
  const stats = [
    ["Connections", overview.connections],
    ["Identities", overview.identities],
    ["Active sessions", overview.activeSessions],
    ["Audit events, last 24 h", overview.auditLastDay],
  ] as const;
  return (
    <div className="space-y-6">
      <PageHeader title="Overview" description="What went through the gateway lately." />
      <section className="grid grid-cols-2 gap-3 md:grid-cols-4">
        {stats.map(([label, value]) => (
          <div key={label} className="rounded-lg border border-slate-200 bg-white px-4 py-3.5">
            <div className="text-2xl font-semibold tabular-nums">{value.toLocaleString("en")}</div>
            <div className="text-sm text-slate-500">{label}</div>
          </div>
        ))}
      </section>
      {user?.role === "admin" && (overview.connections === 0 || overview.identities === 0) ? (
        <NextSteps hints={hints} connections={overview.connections} identities={overview.identities} />
      ) : null}
      <section>
        <h2 className="mb-2.5 text-base font-semibold">Latest audit events</h2>
        {overview.latest.length === 0 ? <p className="text-sm text-slate-500">Nothing recorded yet.</p> : <AuditTable events={overview.latest} />}
      </section>
    </div>
  );
}

function DatabaseUnavailable({ reason }: { reason: string }) {
  return (
    <div className="rounded-lg border border-rose-200 bg-white p-5">
      <h2 className="font-semibold text-rose-700">The console cannot reach Gatehouse&apos;s database</h2>
      <p className="mt-2 text-sm text-slate-700">
        Start the whole product with <code className="font-mono">npm start</code> (it serves the embedded database), or set
        <code className="font-mono"> DATABASE_URL</code> to the PostgreSQL that the gateway uses.
      </p>
      <p className="mt-2 font-mono text-xs text-slate-500">{reason}</p>
    </div>
  );
}

function MemberOverview() {
  return (
    <div className="space-y-4">
      <PageHeader title="Welcome to Gatehouse" />
      <div className="rounded-lg border border-slate-200 bg-white p-5 text-sm text-slate-700">
        <p>You are signed in as a member: there is nothing for you to configure here.</p>
        <p className="mt-2">
          Need to use a database for a while? Ask for it on{" "}
          <a href="/access-requests" className="font-medium text-brand hover:underline">
            Access requests
          </a>
          . Need to review statements or read the audit log? Ask an administrator for the approver or auditor role.
        </p>
      </div>
    </div>
  );
}
