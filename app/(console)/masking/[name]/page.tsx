import Link from "next/link";
import { MaskingEditor } from "../../../../components/masking/masking-editor";
import { Forbidden } from "../../../../components/shell/forbidden";
import { buttonClass } from "../../../../components/ui/button";
import { PageHeader } from "../../../../components/ui/page";
import { requireSection } from "../../../../server/auth/require-section";

export default async function ConnectionMaskingPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  const { user, allowed, need } = await requireSection("masking");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  const connection = decodeURIComponent(name);
  return (
    <>
      <PageHeader
        title={`Masking of ${connection}`}
        description="A column rule masks a whole value by where it comes from (views and computed columns traced); detectors mask what they find in any text. Members of exempt groups see values unmasked."
        actions={
          <Link href="/masking" className={buttonClass("secondary")}>
            All connections
          </Link>
        }
      />
      <MaskingEditor name={connection} canEdit={user.role === "admin"} />
    </>
  );
}
