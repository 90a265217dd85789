import { ReviewQueue } from "../../../components/reviews/review-queue";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function ReviewsPage() {
  const { user, allowed, need } = await requireSection("reviews");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader title="Reviews" description="Statements a guardrail rule held for a human decision. The client waits connected until someone approves, rejects, or time runs out." />
      <ReviewQueue />
    </>
  );
}
