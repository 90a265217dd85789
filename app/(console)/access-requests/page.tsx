import { AccessRequestList } from "../../../components/access-requests/access-request-list";
import { RequestAccessForm } from "../../../components/access-requests/request-access-form";
import { PageHeader } from "../../../components/ui/page";

export default function AccessRequestsPage() {
  return (
    <div className="space-y-6">
      <PageHeader
        title="Access requests"
        description="Time-bound access to a connection, approved by someone else. When the time is up (or an approver revokes it), the gateway ends the sessions that depended on it."
      />
      <RequestAccessForm />
      <AccessRequestList />
    </div>
  );
}
