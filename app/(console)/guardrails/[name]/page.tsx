import Link from "next/link";
import { PolicyEditor } from "../../../../components/guardrails/policy-editor";
import { Forbidden } from "../../../../components/shell/forbidden";
import { buttonClass } from "../../../../components/ui/button";
import { PageHeader } from "../../../../components/ui/page";
import { requireSection } from "../../../../server/auth/require-section";

export default async function ConnectionGuardrailsPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  const { user, allowed, need } = await requireSection("guardrails");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  const connection = decodeURIComponent(name);
  return (
    <>
      <PageHeader
        title={`Guardrails of ${connection}`}
        description="Every statement, command line, request or tool call is judged by the first rule that matches: a deny or review rule meets any part of what it does, an allow rule must cover all of it (every kind it runs, every table it names). A deny anywhere in a text refuses all of it, and what the gateway cannot parse is refused."
        actions={
          <Link href="/guardrails" className={buttonClass("secondary")}>
            All connections
          </Link>
        }
      />
      <PolicyEditor name={connection} canEdit={user.role === "admin"} />
    </>
  );
}
