import Link from "next/link";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { getOverview } from "../../server/overview";
import { AuditTable } from "../_components/audit-table";
import { cliHints } from "../_components/cli-hints";
import { NextSteps, setupDone } from "../_components/next-steps";
import { MemberWelcome, RoleHint } from "../_components/role-welcome";
import { StatCards, type Stat } from "../_components/stat-cards";
import { LoadingRows, PageHeader } from "../../components/ui/page";
import { canOpen, currentUser } from "../../server/auth/current-user";

// Live numbers: rendered on every request, never at build time (the database is not there then).
export const dynamic = "force-dynamic";

type OverviewProps = { searchParams: Promise<Record<string, string | undefined>> };

/**
 * The Overview renders inside a Suspense boundary of its own. React's payload splits a large page
 * into rows streamed one after another, and without a boundary the Overview failed to hydrate (#418)
 * when its audit table's row arrived after the browser had started hydrating; inside one, hydration
 * of the page waits for it. Only this page has it: a route-level loading.tsx around every console
 * page made link clicks on a loaded machine sometimes navigate nowhere (the browser tests saw it).
 */
export default function OverviewPage(props: OverviewProps) {
  return (
    <Suspense fallback={<LoadingRows />}>
      <Overview {...props} />
    </Suspense>
  );
}

async function Overview({ searchParams }: OverviewProps) {
  // Every role may open the overview; what it shows depends on the role.
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  const { landing } = await searchParams;
  if (user.role === "member")
    return (
      <div className="space-y-4">
        <PageHeader title="Welcome to Gatehouse" />
        <MemberWelcome />
      </div>
    );
  const withAudit = canOpen(user.role, "audit");
  const overview = await getOverview({ withAudit }).catch((err: Error) => err);
  if (overview instanceof Error) return <DatabaseUnavailable reason={overview.message} />;
  // Right after sign-in, an approver goes where the work is.
  if (landing && user.role === "approver" && overview.pendingReviews > 0) redirect("/reviews");
  const to = (section: Parameters<typeof canOpen>[1], href: string) => (canOpen(user.role, section) ? href : undefined);
  const candidates: (Stat & { show: boolean })[] = [
    { label: "Connections", value: overview.connections, href: to("connections", "/connections"), show: user.role !== "approver" },
    { label: "Identities", value: overview.identities, href: to("agents", "/agents"), show: user.role === "admin" },
    { label: "Active sessions", value: overview.activeSessions, href: to("sessions", "/sessions"), show: user.role !== "approver" },
    {
      label: "Reviews waiting",
      value: overview.pendingReviews,
      href: to("reviews", "/reviews"),
      hint: overview.pendingReviews > 0 && canOpen(user.role, "reviews") ? "needs a decision" : undefined,
      show: user.role !== "auditor",
    },
    { label: "Audit events (24 h)", value: overview.auditLastDay, href: to("audit", "/audit"), show: withAudit },
    {
      label: "Near or over a data budget",
      value: overview.budgets.near + overview.budgets.over,
      href: to("budgets", "/budgets"),
      hint: overview.budgets.over > 0 ? `${overview.budgets.over} over` : overview.budgets.near > 0 ? "near the limit" : undefined,
      show: canOpen(user.role, "budgets"),
    },
  ];
  const stats = candidates.filter((s) => s.show);
  return (
    <div className="space-y-6">
      <PageHeader title="Overview" description="What goes through the gateway, and what needs you." />
      <StatCards stats={stats} />
      <RoleHint role={user.role} />
      {user.role === "admin" && !setupDone(overview) ? <NextSteps hints={cliHints()} progress={overview} /> : null}
      {user.role !== "admin" && overview.connections === 0 ? <p className="text-sm text-slate-500">Nothing is set up yet: an administrator adds the first connection.</p> : null}
      {withAudit ? (
        <section aria-labelledby="latest-audit">
          <div className="mb-2.5 flex items-baseline justify-between gap-3">
            <h2 id="latest-audit" className="text-base font-semibold">
              Latest audit events
            </h2>
            <Link href="/audit" className="text-sm text-brand hover:underline">
              Search the audit log →
            </Link>
          </div>
          {overview.latest.length === 0 ? <p className="text-sm text-slate-500">Nothing recorded yet.</p> : <AuditTable events={overview.latest} />}
        </section>
      ) : null}
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
