import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { headerTokens } from "../../http/upstream";
import { normalisePath } from "../../../core/policy/http-request";
import { kubernetesCommand, parseKubernetesRequest, qualifiedResource, type KubernetesRequestFacts } from "../../../core/policy/kubernetes-request";

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
  const accepted = headerTokens(req.headers.accept).filter((t) => !/protobuf|cbor|yaml/i.test(t));
  h.accept = accepted.length ? accepted.join(",") : "application/json";
  if (!impersonate) return;
  h["impersonate-user"] = impersonate.name;
  if (impersonate.groups.length) h["impersonate-group"] = impersonate.groups;
}

/** A request as the Kubernetes adapter judges and audits it: its text, decoded path (null: ambiguous), query, facts and command. */
export function readKubeRequest(method: string, rawPath: string, rawSearch: string, verb?: string) {
  const text = `${method} ${rawPath}${rawSearch}`;
  const path = normalisePath(rawPath);
  const query: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(rawSearch)) (query[k] ??= []).push(v);
  const parsed = parseKubernetesRequest(method, path ?? rawPath, query);
  const facts = verb ? { ...parsed, verb } : parsed;
  return { text, path, query, facts, command: kubernetesCommand(facts, text) };
}

/** What a request's audit event says of it beyond the shared fields. */
export function kubeAuditDetails(facts: KubernetesRequestFacts): Record<string, unknown> {
  return {
    verb: facts.verb,
    apiGroup: facts.apiGroup,
    resource: facts.resource ? qualifiedResource(facts) : null,
    namespace: facts.namespace || null,
    name: facts.name || null,
    path: facts.resource ? null : facts.path,
  };
}
