/**
 * Which targets a connector dials for the gateway (`--allow`): without a list, any; with one, a host
 * and port must match an entry `host` (any port), `host:port`, or a glob with `*` (`10.0.*`,
 * `db-*.internal:5432`). A stolen gateway then cannot use the connector to reach the rest of the network.
 */
export function targetAllowed(allow: readonly string[], host: string, port: number): boolean {
  if (!allow.length) return true;
  return allow.some((entry) => {
    const m = /^(.*?)(?::(\d+|\*))?$/.exec(entry.trim());
    if (!m) return false;
    const [, hostGlob, portPart] = m;
    if (portPart && portPart !== "*" && Number(portPart) !== port) return false;
    return globToRegExp(hostGlob).test(host);
  });
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.split("*").map(escape).join(".*")}$`, "i");
const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
