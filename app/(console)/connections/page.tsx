import Link from "next/link";
import { cliHints } from "../../_components/cli-hints";
import { ConnectionList } from "../../../components/connections/connection-list";
import { Forbidden } from "../../../components/shell/forbidden";
import { buttonClass } from "../../../components/ui/button";
import { PageHeader } from "../../../components/ui/page";
import { connectionTypes } from "../../../core/connections/registry";
import { requireSection } from "../../../server/auth/require-section";

export default async function ConnectionsPage() {
  const { user, allowed, need } = await requireSection("connections");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader
        title="Connections"
        description="The databases and SSH servers Gatehouse guards. The gateway holds their credentials; clients name a connection as their database (Postgres) or their SSH user name."
        actions={
          <Link href="/connections/new" className={buttonClass()}>
            Add connection
          </Link>
        }
      />
      <ConnectionList cli={cliHints().cli} addExamples={connectionTypes.map((t) => t.cli.example)} />
    </>
  );
}
