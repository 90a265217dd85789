import type { ProtocolAdapter } from "../../pipeline/adapter";
import { mountProxy } from "./proxy-route";

/** HTTP APIs on the gateway's HTTP port: `/proxy/<connection>/<path>`, the upstream's credential injected by the gateway. */
export const httpAdapter: ProtocolAdapter = {
  name: "http",
  async start({ deps, http }) {
    const route = mountProxy(http, deps);
    return { describe: "HTTP API proxy at /proxy/<connection>/ on the HTTP port", close: route.close };
  },
};
