import { IdentityCreatedNote } from "../../../components/identity/identity-created";
import { Forbidden } from "../../../components/shell/forbidden";
import { SshKeysView } from "../../../components/ssh-keys/ssh-keys-view";
import { PageHeader } from "../../../components/ui/page";
import { requireSection } from "../../../server/auth/require-section";
import { pageHost } from "../../../server/page-host";
import { sshLoginPort } from "../../../server/ssh-keys/ssh-login-hint";

export default async function SshKeysPage({ searchParams }: { searchParams: Promise<{ identity?: string }> }) {
  const { user, allowed, need } = await requireSection("sshKeys");
  if (!allowed) return <Forbidden role={user.role} need={need} />;
  const { identity } = await searchParams;
  // The gateway is assumed to be on the host this page came from (the ssh line says so).
  const host = await pageHost();
  return (
    <>
      <PageHeader
        title="SSH keys"
        description="Public keys the gateway's SSH listener accepts instead of a Gatehouse key: ssh logs in as the identity the key is registered to, and its groups decide which connections it may use."
      />
      <IdentityCreatedNote />
      <SshKeysView isAdmin={user.role === "admin"} initialIdentity={user.role === "admin" ? identity : undefined} login={{ host, port: sshLoginPort() }} />
    </>
  );
}
