import { MaskingList } from "../../../components/masking/masking-list";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";

export default async function MaskingPage() {
  const { user, allowed, need } = await requireSection("masking");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader
        title="Masking"
        description="Per connection: columns masked whole wherever their values end up, and detectors that find card numbers, e-mails, keys… inside any value, masked in the results as they stream back."
      />
      <MaskingList canAddConnection={user.role === "admin"} />
    </>
  );
}
