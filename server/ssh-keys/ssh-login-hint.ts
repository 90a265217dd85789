import "server-only";
import { parseConsoleEnv } from "../env";

/** The gateway's SSH port for the page's `ssh -p` line; null when the console was told 0 (it cannot know the real one). */
export function sshLoginPort(env = parseConsoleEnv()): number | null {
  return env.GATEHOUSE_SSH_PORT === 0 ? null : env.GATEHOUSE_SSH_PORT;
}
