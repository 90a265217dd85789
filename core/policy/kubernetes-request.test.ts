import { describe, expect, it } from "vitest";
import { kubernetesCommand, parseKubernetesRequest } from "./kubernetes-request";
import { evaluatePolicy } from "./evaluate-policy";
import { policySchema, type Policy } from "./policy";
import { requestCommand } from "./http-request";

const parse = (method: string, url: string) => {
  const u = new URL(url, "https://gw");
  const query: Record<string, string[]> = {};
  for (const [k, v] of u.searchParams) (query[k] ??= []).push(v);
  const f = parseKubernetesRequest(method, u.pathname, query);
  return `${f.verb} ${f.apiGroup}/${f.apiVersion} ${f.resource || f.path}${f.subresource ? `/${f.subresource}` : ""} ns=${f.namespace} name=${f.name}`;
};

/** The rule that decides a request (method and URL) under a policy. */
const judgeWith = (policy: Policy) => (method: string, url: string) => {
  const u = new URL(url, "https://gw");
  const query: Record<string, string[]> = {};
  for (const [k, v] of u.searchParams) (query[k] ??= []).push(v);
  return evaluatePolicy(policy, { name: "a", groups: [] }, kubernetesCommand(parseKubernetesRequest(method, u.pathname, query), `${method} ${url}`)).rule;
};

describe("Kubernetes requests read as the API server reads them", () => {
  it("verbs, groups, namespaces, names and subresources", () => {
    expect(parse("GET", "/api/v1/namespaces")).toBe("list /v1 namespaces ns= name=");
    expect(parse("DELETE", "/api/v1/namespaces/prod")).toBe("delete /v1 namespaces ns=prod name=prod");
    expect(parse("PUT", "/api/v1/namespaces/prod/finalize")).toBe("update /v1 namespaces/finalize ns=prod name=prod");
    expect(parse("GET", "/api/v1/namespaces/prod/pods?watch=1&resourceVersion=5")).toBe("watch /v1 pods ns=prod name=");
    expect(parse("GET", "/api/v1/namespaces/prod/pods?watch=false")).toBe("list /v1 pods ns=prod name=");
    expect(parse("GET", "/api/v1/pods")).toBe("list /v1 pods ns= name=");
    expect(parse("DELETE", "/apis/apps/v1/namespaces/prod/deployments")).toBe("deletecollection apps/v1 deployments ns=prod name=");
    expect(parse("PATCH", "/apis/apps/v1/namespaces/prod/deployments/web")).toBe("patch apps/v1 deployments ns=prod name=web");
    expect(parse("POST", "/api/v1/namespaces/prod/pods/web-1/exec?command=sh")).toBe("create /v1 pods/exec ns=prod name=web-1");
    expect(parse("GET", "/api/v1/namespaces/prod/secrets?fieldSelector=metadata.name%3Ddb&watch=true")).toBe("watch /v1 secrets ns=prod name=db");
    expect(parse("GET", "/apis/apps/v1/watch/namespaces/prod/deployments")).toBe("watch apps/v1 deployments ns=prod name=");
    expect(parse("GET", "/version")).toBe("get / /version ns= name=");
    expect(parse("GET", "/apis/apps/v1")).toBe("get / /apis/apps/v1 ns= name=");
  });

  it("rules match verbs, resources (bare, group-qualified, subresources), namespaces and names", () => {
    const policy = policySchema.parse({
      defaultAction: "allow",
      rules: [
        { name: "hold-ns-deletes", action: "review", match: { kinds: ["delete namespaces"] } },
        { name: "no-exec-in-prod", action: "deny", match: { resources: ["pods/exec"], namespaces: ["prod"] } },
        { name: "no-prod-deploy-deletes", action: "deny", match: { verbs: ["delete", "deletecollection"], resources: ["deployments.apps"], namespaces: ["prod*"] } },
        { name: "no-db-secret", action: "deny", match: { verbs: ["get", "watch", "list"], resources: ["secrets"], names: ["db"] } },
        { name: "writes-reviewed", action: "review", match: { classes: ["write"], namespaces: ["payments"] } },
      ],
    });
    const judge = judgeWith(policy);
    expect(judge("DELETE", "/api/v1/namespaces/prod")).toBe("hold-ns-deletes");
    expect(judge("GET", "/api/v1/namespaces/prod")).toBeNull();
    expect(judge("POST", "/api/v1/namespaces/prod/pods/web/exec")).toBe("no-exec-in-prod");
    expect(judge("POST", "/api/v1/namespaces/dev/pods/web/exec")).toBeNull();
    expect(judge("DELETE", "/apis/apps/v1/namespaces/prod-eu/deployments/web")).toBe("no-prod-deploy-deletes");
    expect(judge("DELETE", "/apis/apps/v1/namespaces/prod/deployments")).toBe("no-prod-deploy-deletes");
    expect(judge("GET", "/api/v1/namespaces/prod/secrets/db")).toBe("no-db-secret");
    expect(judge("GET", "/api/v1/namespaces/prod/secrets")).toBeNull();
    expect(judge("PATCH", "/api/v1/namespaces/payments/configmaps/x")).toBe("writes-reviewed");
    expect(judge("GET", "/api/v1/namespaces/payments/configmaps/x")).toBeNull();
  });

  it("a kubelet endpoint reached through nodes/proxy, or an ephemeral container, is what it does to the pod: deny and review rules on pods/exec, attach, portforward and log meet it", () => {
    const policy = policySchema.parse({
      defaultAction: "allow",
      rules: [
        { name: "dev-may-exec", action: "allow", match: { resources: ["pods/exec"], namespaces: ["dev"] } },
        { name: "no-exec-in-prod", action: "deny", match: { resources: ["pods/exec", "pods/attach"], namespaces: ["prod"] } },
        { name: "hold-port-forwards", action: "review", match: { kinds: ["create pods/portforward"] } },
        { name: "no-web-logs", action: "deny", match: { verbs: ["get"], resources: ["pods/log"], names: ["web"] } },
        { name: "no-nodes-proxy", action: "deny", match: { resources: ["nodes/proxy"] } },
      ],
    });
    const judge = judgeWith(policy);
    expect(judge("POST", "/api/v1/nodes/node-1/proxy/run/prod/web/app")).toBe("no-exec-in-prod");
    expect(judge("POST", "/api/v1/nodes/node-1:10250/proxy/run/prod/web/0c7f/app")).toBe("no-exec-in-prod");
    expect(judge("GET", "/api/v1/nodes/node-1/proxy/exec/prod/web/app")).toBe("no-exec-in-prod");
    expect(judge("GET", "/api/v1/nodes/node-1/proxy/attach/prod/web/app")).toBe("no-exec-in-prod");
    expect(judge("GET", "/api/v1/nodes/node-1/proxy/portForward/dev/web")).toBe("hold-port-forwards");
    expect(judge("GET", "/api/v1/nodes/node-1/proxy/containerLogs/dev/web/app")).toBe("no-web-logs");
    // An allow rule needs the request as it is: nodes/proxy is not allowed by a rule on pods/exec.
    expect(judge("POST", "/api/v1/nodes/node-1/proxy/run/dev/web/app")).toBe("no-nodes-proxy");
    expect(judge("GET", "/api/v1/nodes/node-1/proxy/configz")).toBe("no-nodes-proxy");
    expect(judge("GET", "/api/v1/nodes/node-1")).toBeNull();
    // kubectl debug: an ephemeral container added to a running pod runs its command there.
    expect(judge("PATCH", "/api/v1/namespaces/prod/pods/web/ephemeralcontainers")).toBe("no-exec-in-prod");
    expect(judge("PUT", "/api/v1/namespaces/dev/pods/web/ephemeralcontainers")).toBeNull();
    expect(judge("GET", "/api/v1/namespaces/prod/pods/web/ephemeralcontainers")).toBeNull();
  });

  it("Kubernetes conditions never match an HTTP request, nor HTTP globs a Kubernetes kind", () => {
    const policy = policySchema.parse({
      rules: [
        { name: "k", action: "deny", match: { verbs: ["*"] } },
        { name: "h", action: "deny", match: { kinds: ["create pods/exec"] } },
      ],
    });
    const http = requestCommand({ method: "DELETE", path: "/api/v1/namespaces/prod", query: {}, headers: {}, body: undefined }, "DELETE /api/v1/namespaces/prod");
    expect(evaluatePolicy(policy, { name: "a", groups: [] }, http).rule).toBeNull();
    const exec = kubernetesCommand(parseKubernetesRequest("POST", "/api/v1/namespaces/x/pods/p/exec", {}), "POST ...");
    expect(exec.kind).toBe("create pods/exec");
    expect(evaluatePolicy(policySchema.parse({ rules: [{ name: "h", action: "deny", match: { kinds: ["create pods/exec"] } }] }), { name: "a", groups: [] }, exec).rule).toBe("h");
  });
});
