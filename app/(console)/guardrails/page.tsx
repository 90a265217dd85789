import { GuardrailsList } from "../../../components/guardrails/guardrails-list";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function GuardrailsPage() {
  const { user, allowed, need } = await requireSection("guardrails");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader title="Guardrails" description="Per connection: rules on what each statement really does (from the PostgreSQL parser) that allow it, refuse it, or hold it for approval." />
      <GuardrailsList canAddConnection={user.role === "admin"} />
    </>
  );
}
