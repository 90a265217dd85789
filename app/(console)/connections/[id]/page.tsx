import { notFound } from "next/navigation";
import { ConnectionDangerZone } from "../../../../components/connections/connection-danger-zone";
import { ConnectionForm } from "../../../../components/connections/connection-form";
import { SshHostKeyCard } from "../../../../components/connections/ssh-host-key-card";
import { McpToolsCard } from "../../../../components/connections/mcp-tools-card";
import { Forbidden } from "../../../../components/shell/forbidden";
import { ErrorBox, PageHeader } from "../../../../components/ui/page";
import { findConnectionType, knownConnectionTypes } from "../../../../core/connections/registry";
import { UnknownConnectionType, type ConnectionTypeModule } from "../../../../core/connections/connection-type";
import { requireSection } from "../../../../server/auth/require-section";
import { countLiveSessions } from "../../../../server/connections/count-live-sessions";
import { getConnection } from "../../../../server/connections/get-connection";
import { getDb } from "../../../../server/db";
import { AppError } from "../../../../server/errors/app-error";
import { secretBox } from "../../../../server/secret-key";

export default async function EditConnectionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed, need } = await requireSection("connections");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) notFound();
  const connection = await getConnection(getDb(), secretBox(), id).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "NOT_FOUND") return undefined;
    throw err;
  });
  if (!connection) notFound();
  const live = await countLiveSessions(getDb(), id);
  const type = findConnectionType(connection.type);
  return (
    <div className="space-y-6">
      <PageHeader title={`Connection ${connection.name}`} description="Changes apply to new sessions; sessions already open keep the target they reached. Secret fields are write-only." />
      {type ? (
        <>
          <ConnectionForm
            initial={{ id: connection.id, name: connection.name, type: connection.type, settings: connection.settings, storedSecrets: connection.storedSecrets, connector: connection.connector }}
          />
          <HostKeyPinCard type={type} connection={connection} />
          {type.listener === "mcp" ? <McpToolsCard id={connection.id} name={connection.name} /> : null}
        </>
      ) : (
        // Written by a Gatehouse that knows more types: nothing here can edit or test it, but it can be deleted.
        <ErrorBox title="This connection cannot be edited here" message={new UnknownConnectionType(connection.type, knownConnectionTypes(), connection.name).message} />
      )}
      <ConnectionDangerZone connection={{ id: connection.id, name: connection.name, live }} />
    </div>
  );
}

/** The pin card of a type that pins its target's host key; a stored pin it cannot read is said so. */
function HostKeyPinCard({ type, connection }: { type: ConnectionTypeModule; connection: { id: string; name: string; type: string; settings: Record<string, unknown> } }) {
  if (!type.hostKeyPin) return null;
  let pin;
  try {
    pin = type.hostKeyPin.read(type.parseSettings(connection));
  } catch (err) {
    return <ErrorBox title="The stored settings cannot be read" message={(err as Error).message} />;
  }
  return <SshHostKeyCard pin={{ id: connection.id, name: connection.name, ...pin }} />;
}
