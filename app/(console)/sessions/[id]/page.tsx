import { notFound } from "next/navigation";
import Link from "next/link";
import { SessionDetail } from "../../../../components/sessions/session-detail";
import { Forbidden } from "../../../../components/shell/forbidden";
import { PageHeader } from "../../../../components/ui/page";
import { requireSection } from "../../../../server/auth/require-section";

export default async function SessionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed, need } = await requireSection("sessions");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  if (!/^[0-9a-f-]{36}$/i.test(id)) notFound();
  return (
    <>
      <PageHeader
        title="Session"
        description={
          <>
            Its terminal recording, when it has one, and its commands or statements in order, as the audit recorded them.{" "}
            <Link href={`/audit?session=${id}`} className="text-brand hover:underline">
              Open in the audit log
            </Link>
          </>
        }
      />
      <SessionDetail id={id} canKill={user.role === "admin"} />
    </>
  );
}
