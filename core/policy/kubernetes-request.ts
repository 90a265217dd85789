import { wildcardPattern } from "./wildcard";
import { plainCommand, type Command } from "./command";

/** The verbs of Kubernetes' authorization (RBAC) that a request maps to. */
export const KUBERNETES_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"] as const;
export type KubernetesVerb = (typeof KUBERNETES_VERBS)[number];

/**
 * What a Kubernetes API request is, read from its method, path and query as the API server's own
 * request-info resolver reads them: a resource request (`delete` `namespaces` `prod`) or a
 * non-resource one (`get /version`, discovery, OpenAPI).
 */
export type KubernetesRequestFacts = {
  verb: string;
  /** "" for the core group. */
  apiGroup: string;
  apiVersion: string;
  /** "" for a non-resource request. */
  resource: string;
  subresource: string;
  /** "" when cluster-wide (a namespace's own requests carry its name, as RBAC sees them). */
  namespace: string;
  name: string;
  /** The path, for non-resource requests. */
  path: string;
};

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
const METHOD_VERBS: Record<string, string> = { POST: "create", GET: "get", HEAD: "get", PUT: "update", PATCH: "patch", DELETE: "delete" };
const truthy = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";

/**
 * Parses a normalised path (no dot or empty segments) and its query. Follows the API server's
 * RequestInfoFactory: `/api/v1/...` and `/apis/<group>/<version>/...`, `namespaces/<ns>/<resource>`
 * (but `namespaces/<ns>/status` is the namespace's own subresource), the verb from the method, `list`
 * and `deletecollection` without a name, `watch` from `?watch=true` or the old `/watch/` prefix, and
 * the name of a list or watch from a `metadata.name=` field selector.
 */
export function parseKubernetesRequest(method: string, path: string, query: Record<string, string[]>): KubernetesRequestFacts {
  const parts = path.split("/").filter(Boolean);
  const verbOfMethod = METHOD_VERBS[method.toUpperCase()] ?? method.toLowerCase();
  const nonResource: KubernetesRequestFacts = { verb: verbOfMethod, apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "", path };
  let rest: string[];
  let apiGroup = "";
  let apiVersion: string;
  if (parts[0] === "api" && parts.length >= 3) [apiVersion, rest] = [parts[1], parts.slice(2)];
  else if (parts[0] === "apis" && parts.length >= 4) [apiGroup, apiVersion, rest] = [parts[1], parts[2], parts.slice(3)];
  else return nonResource;
  let verb = verbOfMethod;
  if (rest[0] === "watch") {
    verb = "watch";
    rest = rest.slice(1);
  }
  let namespace = "";
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const [resource = "", nameInPath = "", subresource = ""] = rest;
  let name = nameInPath;
  if (verb === "get" && truthy(query.watch?.[0])) verb = "watch";
  if (!name) {
    if (verb === "get") verb = "list";
    if (verb === "delete") verb = "deletecollection";
    if (verb === "list" || verb === "watch" || verb === "deletecollection") {
      const selected = /(?:^|,)metadata\.name==?([^,]*)/.exec(query.fieldSelector?.[0] ?? "");
      if (selected) name = selected[1];
    }
  }
  return { verb, apiGroup, apiVersion, resource, subresource, namespace, name, path };
}

/** `deployments.apps/scale`, `pods/exec`, `namespaces`: the resource as kubectl and RBAC name it. */
export function qualifiedResource(f: KubernetesRequestFacts): string {
  return `${f.resource}${f.apiGroup ? `.${f.apiGroup}` : ""}${f.subresource ? `/${f.subresource}` : ""}`;
}

const READS = new Set(["get", "list", "watch"]);

/**
 * A Kubernetes request as a neutral Command: its kind is the verb and the resource as kubectl says
 * them (`delete namespaces`, `create pods/exec`, `get secrets`; the group-qualified form,
 * `delete deployments.apps`, is a kind too), or the verb and path of a non-resource request
 * (`get /version`); reads are class `read`, everything else `write`.
 */
export function kubernetesCommand(f: KubernetesRequestFacts, text: string): Command {
  const res = `${f.resource}${f.subresource ? `/${f.subresource}` : ""}`;
  const kind = f.resource ? `${f.verb} ${res}` : `${f.verb} ${f.path}`;
  const runs = f.resource && f.apiGroup ? [`${f.verb} ${qualifiedResource(f)}`] : [];
  const command: Command = { ...plainCommand(text, kind, "request"), runs, classes: [READS.has(f.verb) ? "read" : "write"], kubernetes: f };
  const pod = kubeletPodRequest(f) ?? ephemeralContainerRequest(f);
  if (pod) command.amountsTo = { kinds: [`${pod.verb} pods/${pod.subresource}`], kubernetes: [pod] };
  return command;
}

/**
 * Adding an ephemeral container to a running pod (`kubectl debug`: a write of `pods/ephemeralcontainers`)
 * runs the command it gives inside that pod's context (its network, its volumes, its processes
 * with a shared namespace): a `create pods/exec` in that pod.
 */
function ephemeralContainerRequest(f: KubernetesRequestFacts): KubernetesRequestFacts | null {
  if (f.apiGroup !== "" || f.resource !== "pods" || f.subresource !== "ephemeralcontainers" || READS.has(f.verb)) return null;
  return { ...f, verb: "create", subresource: "exec" };
}

/** The kubelet's endpoints that act on a pod, and what RBAC calls the same act through the API server. */
const KUBELET_POD_ENDPOINTS: Record<string, [verb: string, subresource: string]> = {
  run: ["create", "exec"],
  exec: ["create", "exec"],
  attach: ["create", "attach"],
  portforward: ["create", "portforward"],
  containerlogs: ["get", "log"],
};

/**
 * A request to a node's kubelet through the API server (`/api/v1/nodes/<node>/proxy/<kubelet path>`)
 * that acts on a pod: the kubelet runs a command in any pod for `run/<namespace>/<pod>/<container>`
 * and `exec/...`, attaches for `attach/...`, forwards for `portForward/...`, reads for
 * `containerLogs/...`. That is `create pods/exec` (or attach, portforward, `get pods/log`) in that
 * namespace and pod, with none of the rules written for those applied unless it is read as one.
 */
export function kubeletPodRequest(f: KubernetesRequestFacts): KubernetesRequestFacts | null {
  if (f.resource !== "nodes" || f.subresource !== "proxy" || f.apiGroup !== "") return null;
  const parts = f.path.split("/").filter(Boolean);
  const proxy = parts.indexOf("proxy", parts.indexOf("nodes") + 2);
  const [endpoint = "", namespace = "", name = ""] = parts.slice(proxy + 1);
  const act = KUBELET_POD_ENDPOINTS[endpoint.toLowerCase()];
  if (proxy < 0 || !act) return null;
  return { verb: act[0], apiGroup: "", apiVersion: f.apiVersion, resource: "pods", subresource: act[1], namespace, name, path: f.path };
}

export type KubernetesConditions = { verbs?: string[]; resources?: string[]; namespaces?: string[]; names?: string[] };

/**
 * A rule's Kubernetes conditions (each list: any entry, a `*` glob, case aside): verbs; resources as
 * `deployments`, `deployments.apps`, `pods/exec` or `*`; namespaces; names. A cluster-wide request
 * has no namespace and a list no name, so a rule naming them does not meet it. A command that is not
 * a Kubernetes request never meets them.
 */
export function kubernetesConditionsHold(m: KubernetesConditions, c: Command, action: "allow" | "deny" | "review" = "allow"): boolean {
  if (!m.verbs && !m.resources && !m.namespaces && !m.names) return true;
  if (!c.kubernetes) return false;
  const any = (list: string[] | undefined, values: string[]) => list === undefined || list.some((p) => values.some((v) => wildcardPattern(p).test(v)));
  const hold = (k: KubernetesRequestFacts) => {
    const res = `${k.resource}${k.subresource ? `/${k.subresource}` : ""}`;
    return any(m.verbs, [k.verb]) && any(m.resources, k.resource ? [res, qualifiedResource(k)] : []) && any(m.namespaces, k.namespace ? [k.namespace] : []) && any(m.names, k.name ? [k.name] : []);
  };
  // What the request amounts to meets deny and review rules (an allow rule needs the request as it is).
  return hold(c.kubernetes) || (action !== "allow" && (c.amountsTo?.kubernetes ?? []).some(hold));
}
