import { ConnectionForm } from "../../../../components/connections/connection-form";
import { Forbidden } from "../../../../components/shell/forbidden";
import { PageHeader } from "../../../../components/ui/page";
import { requireSection } from "../../../../server/auth/require-section";

export default async function NewConnectionPage() {
  const { user, allowed, need } = await requireSection("connections");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader title="Add a connection" description="Test it before you save: the gateway connects with exactly these settings." />
      <ConnectionForm />
    </>
  );
}
