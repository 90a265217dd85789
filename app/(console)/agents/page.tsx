import { cliHints } from "../../_components/cli-hints";
import { AgentList } from "../../../components/agents/agent-list";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function AgentsPage() {
  const { user, allowed, need } = await requireSection("agents");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  const hints = cliHints();
  return (
    <>
      <PageHeader title="Agents & keys" description="Identities that reach connections through the gateway, and their Gatehouse keys (stored hashed, shown once)." />
      <AgentList hints={{ host: hints.psqlHost, port: hints.psqlPort }} cli={hints.cli} />
    </>
  );
}
