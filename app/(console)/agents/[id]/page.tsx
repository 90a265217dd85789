import Link from "next/link";
import { notFound } from "next/navigation";
import { cliHints } from "../../../_components/cli-hints";
import { AgentDetail } from "../../../../components/agents/agent-detail";
import { Forbidden } from "../../../../components/shell/forbidden";
import { PageHeader } from "../../../../components/ui/page";
import { getIdentity } from "../../../../server/agents/get-identity";
import { requireSection } from "../../../../server/auth/require-section";
import { getDb } from "../../../../server/db";

export default async function AgentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed, need } = await requireSection("agents");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  if (!/^[0-9a-f-]{36}$/i.test(id)) notFound();
  const identity = await getIdentity(getDb(), id).catch(() => undefined);
  if (!identity) notFound();
  const hints = cliHints();
  return (
    <>
      <Link href="/agents" className="mb-2 inline-block text-sm text-brand hover:underline">
        ← All agents and people
      </Link>
      <PageHeader
        title={identity.name}
        description={
          <>
            Revoking a key ends the sessions opened with it, on every gateway instance. From a shell: <code className="font-mono text-xs">{`${hints.cli} keys revoke ${identity.name}`}</code>
          </>
        }
      />
      <AgentDetail id={id} hints={{ host: hints.psqlHost, port: hints.psqlPort }} />
    </>
  );
}
