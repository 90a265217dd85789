import type { Db } from "../../drizzle/client";
import type { SecretBox } from "../crypto/secret-box";
import { addConnection } from "./add-connection";
import type { SshSettings } from "./types/ssh";

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

/**
 * Adds an SSH connection as `connections add <name> --type ssh ...` does (the same checks, in
 * core/connections/types/ssh.ts); the password or private key is sealed, never shown again.
 */
export async function addSshConnection(db: Db, box: SecretBox, input: SshConnectionInput) {
  const flags = {
    host: input.host,
    port: input.port === undefined ? undefined : String(input.port),
    user: input.user,
    password: input.password,
    "private-key-file": input.privateKeyFile,
    "host-key": input.hostKey,
    recording: input.recording === false ? "off" : undefined,
    "allow-forwarding": input.allowForwarding,
  };
  const c = await addConnection(db, box, { name: input.name, type: "ssh", flags });
  return { ...c, type: "ssh" as const, settings: c.settings as SshSettings };
}
