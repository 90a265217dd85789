import { BudgetsView } from "../../../components/budgets/budgets-view";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function BudgetsPage() {
  const { user, allowed, need } = await requireSection("budgets");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader
        title="Data budgets"
        description="How many result rows and bytes each identity may receive per window, counted across its sessions, protocols and gateways. Near a budget the client is warned; past it the result is held for an approver to extend it, or cut off."
      />
      <BudgetsView canEdit={user.role === "admin"} />
    </>
  );
}
