import { cliHints } from "../../_components/cli-hints";
import { ConnectorsView } from "../../../components/connectors/connectors-view";
import { Forbidden } from "../../../components/shell/forbidden";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";
import { connectorGatewayUrl } from "../../../server/connectors/connector-gateway-url";
import { pageHost } from "../../../server/page-host";

export default async function ConnectorsPage() {
  const { user, allowed, need } = await requireSection("connectors");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  return (
    <>
      <PageHeader
        title="Connectors"
        description="Processes beside targets in private networks that dial out to the gateway: connections routed through one reach their targets over its link, with nothing opened inbound."
      />
      <ConnectorsView canEdit={user.role === "admin"} gatewayUrl={connectorGatewayUrl(await pageHost())} cli={cliHints().cli} />
    </>
  );
}
