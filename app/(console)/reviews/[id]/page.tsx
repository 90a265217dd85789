import { notFound } from "next/navigation";
import { ReviewDetail } from "../../../../components/reviews/review-detail";
import { Forbidden } from "../../../../components/shell/forbidden";
import { PageHeader } from "../../../../components/ui/page";
import { requireSection } from "../../../../server/auth/require-section";

export default async function ReviewPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed, need } = await requireSection("reviews");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  if (!/^[0-9a-f-]{36}$/i.test(id)) notFound();
  return (
    <>
      <PageHeader title="Review" description="A statement waiting for a human decision. Approving runs it exactly as sent; rejecting returns your reason to the client." />
      <ReviewDetail id={id} />
    </>
  );
}
