import type { ProtocolAdapter } from "../../pipeline/adapter";
import { startSshListener } from "./listener";

/** SSH on GATEHOUSE_SSH_PORT: user name = connection name, password, keyboard-interactive or a registered public key. */
export const sshAdapter: ProtocolAdapter = {
  name: "ssh",
  async start({ deps }) {
    const listener = await startSshListener(deps).catch((err: Error) => {
      throw new Error(`cannot listen for SSH on ${deps.config.bind}:${deps.config.ports.ssh}: ${err.message}`);
    });
    return {
      port: listener.port,
      listening: listener.listening,
      describe: `ssh listener on ${deps.config.bind}:${listener.port} (host key ${listener.hostKeyFingerprint})`,
      info: { hostKeyFingerprint: listener.hostKeyFingerprint },
      close: listener.close,
    };
  },
};
