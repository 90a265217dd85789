import { notFound } from "next/navigation";
import { ConnectionDangerZone } from "../../../../components/connections/connection-danger-zone";
import { ConnectionForm } from "../../../../components/connections/connection-form";
import { SshHostKeyCard } from "../../../../components/connections/ssh-host-key-card";
import { Forbidden } from "../../../../components/shell/forbidden";
import { PageHeader } from "../../../../components/ui/page";
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
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const s = connection.settings;
  return (
    <div className="space-y-6">
      <PageHeader title={`Connection ${connection.name}`} description="Changes apply to new sessions; sessions already open keep the target they reached. Secret fields are write-only." />
      <ConnectionForm initial={{ id: connection.id, name: connection.name, type: connection.type, settings: connection.settings, storedSecrets: connection.storedSecrets }} />
      {connection.type === "ssh" ? (
        <SshHostKeyCard
          pin={{ id: connection.id, name: connection.name, host: String(s.host), port: Number(s.port), hostKey: text(s.hostKey), pinnedAt: text(s.hostKeyPinnedAt), pinnedBy: text(s.hostKeyPinnedBy) }}
        />
      ) : null}
      <ConnectionDangerZone connection={{ id: connection.id, name: connection.name, live }} />
    </div>
  );
}
