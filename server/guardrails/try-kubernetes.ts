import { classifyCommand } from "../../core/policy/classify-command";
import { normalisePath } from "../../core/policy/http-request";
import { kubernetesCommand, parseKubernetesRequest, type KubernetesRequestFacts } from "../../core/policy/kubernetes-request";
import type { Policy } from "../../core/policy/policy";
import { judgedLine, linesOf, unreadableLine, verdictOfLines, type StatementVerdict, type TryResult } from "./try-statement";

// kubectl's short names and the groups of the resources people name most.
const ALIASES: Record<string, string> = {
  ns: "namespaces",
  po: "pods",
  deploy: "deployments",
  svc: "services",
  cm: "configmaps",
  sa: "serviceaccounts",
  rs: "replicasets",
  sts: "statefulsets",
  ds: "daemonsets",
  ing: "ingresses",
  pvc: "persistentvolumeclaims",
  pv: "persistentvolumes",
  no: "nodes",
};
const GROUPS: Record<string, string> = {
  deployments: "apps",
  replicasets: "apps",
  statefulsets: "apps",
  daemonsets: "apps",
  jobs: "batch",
  cronjobs: "batch",
  ingresses: "networking.k8s.io",
  roles: "rbac.authorization.k8s.io",
  rolebindings: "rbac.authorization.k8s.io",
  clusterroles: "rbac.authorization.k8s.io",
  clusterrolebindings: "rbac.authorization.k8s.io",
};
const VERBS: Record<string, string> = {
  get: "get",
  describe: "get",
  create: "create",
  apply: "patch",
  edit: "patch",
  patch: "patch",
  label: "patch",
  annotate: "patch",
  scale: "patch",
  replace: "update",
  delete: "delete",
};

const plural = (r: string) => {
  const lower = r.toLowerCase();
  const base = ALIASES[lower] ?? lower;
  return base.endsWith("s") ? base : `${base}s`;
};

/**
 * A kubectl-like line as the request it sends, read as the gateway reads requests: `delete ns prod`,
 * `-n prod delete deployment web`, `get secrets -n vault -w`, `exec -n prod web`, `logs web`,
 * `create pods/exec web`. Null when it is not one.
 */
function kubectlLine(line: string): KubernetesRequestFacts | null {
  const words = line
    .replace(/^kubectl\s+/, "")
    .split(/\s+/)
    .filter(Boolean);
  let namespace = "";
  let watch = false;
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "-n" || w === "--namespace") namespace = words[++i] ?? "";
    else if (w.startsWith("--namespace=")) namespace = w.slice(12);
    else if (w === "-w" || w === "--watch") watch = true;
    else if (w === "--") break;
    else if (!w.startsWith("-")) rest.push(w);
  }
  const [verbWord, target, nameWord] = rest;
  if (!verbWord) return null;
  const facts = (verb: string, resource: string, subresource: string, name: string): KubernetesRequestFacts => {
    const [res, group = GROUPS[resource] ?? ""] = resource.split(/\.(.*)/s);
    return { verb, apiGroup: group, apiVersion: "v1", resource: res, subresource, namespace: res === "namespaces" ? name : namespace, name, path: "" };
  };
  if (verbWord === "exec" || verbWord === "attach" || verbWord === "port-forward")
    return target ? facts("create", "pods", verbWord === "port-forward" ? "portforward" : verbWord, target.replace(/^pods?\//, "")) : null;
  if (verbWord === "logs") return target ? facts("get", "pods", "log", target.replace(/^pods?\//, "")) : null;
  const verb = VERBS[verbWord];
  if (!verb || !target) return null;
  let [resource, name = nameWord ?? ""] = target.split("/");
  let subresource = "";
  if (verb === "create" && name && !nameWord && /^(exec|attach|portforward|log|eviction|binding)$/.test(name)) [subresource, name] = [name, ""];
  else if (nameWord && target.includes("/")) [subresource, name] = [target.split("/")[1], nameWord];
  resource = plural(resource.split(".")[0]) + (resource.includes(".") ? resource.slice(resource.indexOf(".")) : "");
  const v = watch ? "watch" : verb === "get" && !name ? "list" : verb === "delete" && !name ? "deletecollection" : verb;
  return facts(v, resource, subresource, name);
}

/**
 * What the Kubernetes proxy would do with each line under `policy`: a request line (`DELETE
 * /api/v1/namespaces/prod`) read exactly as the gateway reads requests, a kubectl-like line
 * (`kubectl -n prod delete deployment web`) read as the request kubectl sends for it, or a line
 * after a `$ ` prompt, read as a line typed into a `kubectl exec -it` or `attach` shell (judged as an
 * SSH shell's lines are).
 */
export function tryKubernetes(policy: Policy, who: { name: string; groups: string[] }, text: string): TryResult {
  const statements = linesOf(text).map((line): StatementVerdict => {
    const typed = /^\$\s+(.+)$/.exec(line);
    if (typed) {
      const c = classifyCommand(typed[1], 0, { terminal: true });
      return judgedLine(policy, who, line, `typed in a shell: ${[c.kind, ...c.runs].join(" · ")}`, c);
    }
    const request = /^([A-Z]+)\s+(\/\S*)$/.exec(line);
    let facts: KubernetesRequestFacts | null;
    if (request) {
      const target = new URL(request[2], "https://gateway");
      const path = normalisePath(target.pathname);
      const query: Record<string, string[]> = {};
      for (const [k, v] of target.searchParams) (query[k] ??= []).push(v);
      facts = path === null ? null : parseKubernetesRequest(request[1], path, query);
    } else facts = kubectlLine(line);
    if (!facts) return unreadableLine(line, "not a request line (METHOD /api/...), a kubectl command Gatehouse can read, or a `$ ` shell line");
    const c = kubernetesCommand(facts, line);
    const where = `${facts.namespace ? ` in ${facts.namespace}` : ""}${facts.name ? ` (${facts.name})` : ""}`;
    return { ...judgedLine(policy, who, line, `${c.kind}${where}`, c), classes: c.classes };
  });
  const shell = (st: StatementVerdict) => st.kind.startsWith("typed in a shell");
  return verdictOfLines(statements, {
    deny: (l) => (shell(l) ? `the line never reaches the shell; the terminal says why: ${l.reason}` : `kubectl gets a 403 Status: ${l.reason}`),
    review: (l) => `${l.reason}; kubectl waits for approval, then the request is forwarded as sent`,
    allow: "every request is forwarded",
  });
}
