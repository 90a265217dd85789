/** Where the proxy is mounted on the gateway's HTTP port. */
export const PROXY_PREFIX_PATH = "/proxy/";
