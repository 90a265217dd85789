import { Forbidden } from "../../../components/shell/forbidden";
import { IdentityCreatedNote } from "../../../components/identity/identity-created";
import { TerminalConnectionList } from "../../../components/terminal/terminal-connection-list";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function TerminalPage() {
  const { user, allowed, need } = await requireSection("terminal");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader
        title="Terminal"
        description="psql on a Postgres connection or a shell on an SSH connection, in the browser, as your own gateway identity: guardrails, reviews, masking, recording and the audit apply as to any other client."
      />
      <IdentityCreatedNote />
      <TerminalConnectionList isAdmin={user.role === "admin"} />
    </>
  );
}
