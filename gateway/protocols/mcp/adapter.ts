import type { ProtocolAdapter } from "../../pipeline/adapter";
import { mountMcp } from "./mcp-route";

/** Gatehouse's own MCP server: `/mcp` on the HTTP port, whose tools dial this gateway's own Postgres, SSH and HTTP listeners as the caller. */
export const mcpAdapter: ProtocolAdapter = {
  name: "mcp",
  async start({ deps, http, ports }) {
    if (ports.postgres === undefined || ports.ssh === undefined) throw new Error("the MCP server needs the postgres and ssh listeners started first");
    const host = deps.config.bind === "0.0.0.0" || deps.config.bind === "::" ? "127.0.0.1" : deps.config.bind;
    // The HTTP port listens after the adapters start: its port is read at call time.
    const httpEndpoint = () => ({ host, port: ports.http ?? 0, tls: deps.config.tls.required });
    const mysqlEndpoint = () => (ports.mysql ? { host, port: ports.mysql, tls: deps.config.tls.required } : undefined);
    const route = mountMcp(http, deps, { pg: { host, port: ports.postgres, ssl: deps.config.tls.required }, ssh: { host, port: ports.ssh }, http: httpEndpoint, mysql: mysqlEndpoint });
    return { describe: "MCP server at /mcp on the HTTP port", close: route.close };
  },
};
