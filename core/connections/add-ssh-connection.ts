import { readFileSync } from "node:fs";
import ssh2 from "ssh2";

const { utils } = ssh2;
import type { Db } from "../../drizzle/client";
import type { SecretBox } from "../crypto/secret-box";
import { saveConnectionRecord } from "./add-connection";
import type { ConnectionSecret, ConnectionSettings } from "./connection-settings";

export type SshConnectionInput = {
  name: string;
  host: string;
  port?: number;
  user: string;
  password?: string;
  privateKeyFile?: string;
  /** Pin the target's host key up front (`SHA256:...` as `ssh-keygen -lf` prints it); unset: pinned at first use. */
  hostKey?: string;
  recording?: boolean;
  allowForwarding?: boolean;
};

/** Adds an SSH connection; the password or private key is sealed, never shown again. */
export async function addSshConnection(db: Db, box: SecretBox, input: SshConnectionInput) {
  if (!input.host) throw new Error("--host is required");
  if (!input.user) throw new Error("--user is required (the account the gateway logs in as on the target)");
  const port = input.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error("--port must be a TCP port (1-65535)");
  if (!input.password && !input.privateKeyFile) throw new Error("give --password or --private-key-file: the gateway holds the target's credential");
  if (input.hostKey && !/^SHA256:[A-Za-z0-9+/]{43}$/.test(input.hostKey)) throw new Error("--host-key is a SHA256 fingerprint as `ssh-keygen -lf` prints it: SHA256:<43 characters>");
  const secret: ConnectionSecret = {};
  if (input.password) secret.password = input.password;
  if (input.privateKeyFile) {
    const key = readFileSync(input.privateKeyFile, "utf8");
    const parsed = utils.parseKey(key);
    if (parsed instanceof Error) throw new Error(`the private key in ${input.privateKeyFile} cannot be read: ${parsed.message} (an encrypted key is not supported; give an unencrypted one)`);
    secret.privateKey = key;
  }
  const settings: ConnectionSettings = { host: input.host, port, user: input.user, recording: input.recording !== false, allowForwarding: input.allowForwarding === true };
  if (input.hostKey) settings.hostKey = input.hostKey;
  const row = await saveConnectionRecord(db, box, { name: input.name, type: "ssh", settings, secret });
  if (!row) throw new Error("the connection was not saved");
  return { id: row.id, name: input.name, type: "ssh" as const, settings };
}
