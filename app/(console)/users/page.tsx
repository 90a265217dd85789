import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { UserManager } from "../../../components/users/user-manager";
import { requireSection } from "../../../server/auth/require-section";

export default async function UsersPage() {
  const { user, allowed, need } = await requireSection("users");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader
        title="Console users"
        description="Who may sign in to this console, and with which role. People who sign in through single sign-on appear after their first sign-in; their groups come from the provider."
      />
      <UserManager me={user.email} />
    </>
  );
}
