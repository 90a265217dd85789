import type { ProtocolAdapter } from "../../pipeline/adapter";
import { mountTerminal } from "./terminal-listener";

/** The browser terminal: `/terminal` on the gateway's HTTP port, running psql or an SSH shell against this gateway's own listeners. */
export const terminalAdapter: ProtocolAdapter = {
  name: "terminal",
  async start({ deps, http, ports }) {
    if (ports.postgres === undefined || ports.ssh === undefined) throw new Error("the browser terminal needs the postgres and ssh listeners started first");
    const route = mountTerminal(http, deps, { pg: ports.postgres, ssh: ports.ssh });
    return { describe: "browser terminal at /terminal on the HTTP port", close: route.close };
  },
};
