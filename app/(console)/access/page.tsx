import { AccessManager } from "../../../components/access/access-manager";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function AccessPage() {
  const { user, allowed, need } = await requireSection("access");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader title="Access" description="Groups, their members (agents and people), and the connections each group may use. OIDC tokens add their own groups." />
      <AccessManager />
    </>
  );
}
