import "server-only";
import { parseConsoleEnv } from "../env";
import { AppError } from "../errors/app-error";

/**
 * Where the browser reaches the gateway's terminal WebSocket: a full URL when the gateway sits
 * behind a proxy (GATEHOUSE_TERMINAL_URL), else the gateway's HTTP port on the host the page came from.
 */
export function terminalEndpoint(env = parseConsoleEnv()): { port: number } | { url: string } {
  if (env.GATEHOUSE_TERMINAL_URL) return { url: env.GATEHOUSE_TERMINAL_URL };
  if (env.GATEHOUSE_HTTP_PORT === 0) {
    throw new AppError("INTERNAL", "The console does not know the gateway's HTTP port (GATEHOUSE_HTTP_PORT is 0): set it to the port the gateway listens on, or set GATEHOUSE_TERMINAL_URL.");
  }
  return { port: env.GATEHOUSE_HTTP_PORT };
}
