import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";

/** Where the Kubernetes proxy is mounted on the gateway's HTTP port. */
export const KUBE_PREFIX_PATH = "/k8s/";

/** `<connection>/<path>` after the prefix, and the query of the request line. */
export function splitTarget(rest: string, url: string | undefined): { connectionName: string; rawPath: string; rawSearch: string } {
  const slash = rest.indexOf("/");
  let connectionName = "";
  try {
    connectionName = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
  } catch {
    // refused as forbidden, like a connection that does not exist
  }
  const q = (url ?? "").indexOf("?");
  return { connectionName, rawPath: slash < 0 ? "/" : rest.slice(slash), rawSearch: q < 0 ? "" : (url ?? "").slice(q) };
}

/**
 * The request headers the API server gets beyond the proxy's own rules: only JSON asked for (so
 * masking can read every answer; `as=Table` variants kept, protobuf and CBOR dropped), no
 * impersonation or front-proxy identity from the client ever (the gateway's credential would
 * honour it), and with impersonation on, the Gatehouse identity and its groups.
 */
export function kubeHeaders(h: OutgoingHttpHeaders, req: IncomingMessage, impersonate: { name: string; groups: string[] } | null): void {
  for (const name of Object.keys(h)) if (name.startsWith("impersonate-") || name.startsWith("x-remote-")) delete h[name];
  const accepted = String(req.headers.accept ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t && !/protobuf|cbor|yaml/i.test(t));
  h.accept = accepted.length ? accepted.join(",") : "application/json";
  if (!impersonate) return;
  h["impersonate-user"] = impersonate.name;
  if (impersonate.groups.length) h["impersonate-group"] = impersonate.groups;
}
