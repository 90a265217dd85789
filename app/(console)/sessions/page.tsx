import { cliHints } from "../../_components/cli-hints";
import { SessionList, type SessionFilters } from "../../../components/sessions/session-list";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function SessionsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { user, allowed, need } = await requireSection("sessions");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  const p = await searchParams;
  const status = p.status === "active" || p.status === "closed" || p.status === "failed" ? p.status : undefined;
  const initial: SessionFilters = { identity: p.identity, connection: p.connection, status, from: p.from, to: p.to };
  const h = cliHints();
  return (
    <>
      <PageHeader title="Sessions" description="Every client session through the gateway, newest first. This list refreshes by itself." />
      <SessionList initial={initial} psqlLine={`PGPASSWORD=$KEY psql "host=${h.psqlHost} port=${h.psqlPort} dbname=<connection> user=<agent>"`} />
    </>
  );
}
