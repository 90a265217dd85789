import Link from "next/link";
import { IdentityCreatedNote } from "../../../../components/identity/identity-created";
import { Forbidden } from "../../../../components/shell/forbidden";
import { BrowserTerminal } from "../../../../components/terminal/browser-terminal";
import { buttonClass } from "../../../../components/ui/button";
import { PageHeader } from "../../../../components/ui/page";
import { UnlinkedIdentity } from "../../../../components/identity/unlinked-identity";
import { requireSection } from "../../../../server/auth/require-section";
import { getDb } from "../../../../server/db";
import { loadTerminalPerson } from "../../../../server/terminal/terminal-person";

export default async function ConnectionTerminalPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  const { user, allowed, need } = await requireSection("terminal");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  const connection = decodeURIComponent(name);
  // Without a gateway identity there is nobody to open a terminal as: say what to do instead of a failed socket and a Reconnect button.
  const person = await loadTerminalPerson(getDb(), user);
  return (
    <>
      <PageHeader
        title={`Terminal on ${connection}`}
        description="Everything typed here goes through the gateway as you: statements and commands are judged, results masked, the session recorded."
        actions={
          <Link href="/terminal" className={buttonClass("secondary")}>
            All terminals
          </Link>
        }
      />
      <IdentityCreatedNote />
      {person.kind === "unlinked" ? <UnlinkedIdentity isAdmin={user.role === "admin"} purpose="terminal" /> : <BrowserTerminal connection={connection} />}
    </>
  );
}
