import { describe, expect, it, vi } from "vitest";
import { parseConsoleEnv } from "../env";
import { connectorGatewayUrl } from "./connector-gateway-url";

vi.mock("server-only", () => ({}));

const env = (vars: Record<string, string>) => parseConsoleEnv(vars as NodeJS.ProcessEnv);

describe("[CONNECTORS][GATEWAY URL] the address the token dialog's command dials", () => {
  it("is the gateway's HTTP port on the page's host, as the browser terminal finds it", () => {
    expect(connectorGatewayUrl("gatehouse.internal", env({}))).toBe("wss://gatehouse.internal:18888/connector");
    expect(connectorGatewayUrl("10.0.0.5", env({ GATEHOUSE_HTTP_PORT: "28888" }))).toBe("wss://10.0.0.5:28888/connector");
  });

  it("sits beside the terminal's address behind a proxy, and leaves a port the console was not told as a placeholder", () => {
    expect(connectorGatewayUrl("console.example.com", env({ GATEHOUSE_TERMINAL_URL: "wss://gw.example.com/terminal" }))).toBe("wss://gw.example.com/connector");
    expect(connectorGatewayUrl("console.example.com", env({ GATEHOUSE_TERMINAL_URL: "wss://example.com:8443/gatehouse/terminal/" }))).toBe("wss://example.com:8443/gatehouse/connector");
    expect(connectorGatewayUrl("gatehouse.internal", env({ GATEHOUSE_HTTP_PORT: "0" }))).toBe("wss://gatehouse.internal:<gateway-http-port>/connector");
  });
});
