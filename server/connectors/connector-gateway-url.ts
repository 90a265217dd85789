import "server-only";
import { parseConsoleEnv } from "../env";
import { terminalEndpoint } from "../terminal/terminal-endpoint";

/**
 * Where a connector dials the gateway (`/connector` on its HTTP port), as the browser terminal finds
 * it: beside the terminal's address when the gateway is behind a proxy (GATEHOUSE_TERMINAL_URL), else
 * the gateway's HTTP port on the host the page came from. A port the console was not told stays a placeholder.
 */
export function connectorGatewayUrl(pageHost: string, env = parseConsoleEnv()): string {
  let endpoint: ReturnType<typeof terminalEndpoint> | null = null;
  try {
    endpoint = terminalEndpoint(env);
  } catch {
    // GATEHOUSE_HTTP_PORT=0: the console cannot know the port.
  }
  if (endpoint && "url" in endpoint) {
    const url = new URL(endpoint.url);
    url.pathname = url.pathname.replace(/\/terminal\/?$/, "").replace(/\/$/, "") + "/connector";
    url.search = "";
    return url.toString();
  }
  return `wss://${pageHost}:${endpoint ? endpoint.port : "<gateway-http-port>"}/connector`;
}
