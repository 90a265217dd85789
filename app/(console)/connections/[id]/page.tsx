import { notFound } from "next/navigation";
import { ConnectionForm } from "../../../../components/connections/connection-form";
import { Forbidden } from "../../../../components/shell/forbidden";
import { PageHeader } from "../../../../components/ui/page";
import { requireSection } from "../../../../server/auth/require-section";
import { getConnectionForEdit } from "../../../../server/connections/manage-connections";
import { getDb } from "../../../../server/db";

export default async function EditConnectionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed, need } = await requireSection("connections");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  if (!/^[0-9a-f-]{36}$/i.test(id)) notFound();
  const connection = await getConnectionForEdit(getDb(), id).catch(() => undefined);
  if (!connection) notFound();
  return (
    <>
      <PageHeader title={`Connection ${connection.name}`} description="Changes apply to new sessions; the password field is write-only." />
      <ConnectionForm initial={{ id: connection.id, name: connection.name, settings: connection.settings, hasPassword: connection.hasPassword }} />
    </>
  );
}
