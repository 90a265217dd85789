import { CopyButton } from "../ui/copy-button";
import { Card } from "../ui/page";

export type SshLogin = { host: string; port: number | null };

/** How to use a registered key: the ssh line, with this installation's host and port. */
export function ConnectHint({ login }: { login: SshLogin }) {
  const port = login.port ?? "<ssh port>";
  const line = `ssh -i ~/.ssh/id_ed25519 -p ${port} <connection>@${login.host}`;
  return (
    <Card title="Connecting with a key">
      <div className="space-y-3 text-sm text-slate-600">
        <p>
          The SSH user name is the connection&apos;s name, and with a registered key there is no password prompt. Point <code>-i</code> at the private half of the key you registered:
        </p>
        <div className="flex flex-wrap items-center gap-2">
          <code className="min-w-0 break-all rounded-md bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100" data-testid="ssh-command">
            {line}
          </code>
          <CopyButton text={line} />
        </div>
        <p className="text-xs text-slate-500">
          {login.port === null ? "The console was not told the gateway's SSH port (GATEHOUSE_SSH_PORT is 0): use the port the gateway logged at start. " : ""}
          The host is this page&apos;s; use the gateway&apos;s address if it runs elsewhere. scp and sftp take the same key (<code>scp -P {port}</code>). A key logs in with its identity&apos;s
          Gatehouse groups (not groups from your sign-in provider), so it reaches the SSH connections granted to those groups and those it holds approved time-bound access to.
        </p>
      </div>
    </Card>
  );
}
