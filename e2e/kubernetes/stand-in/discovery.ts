import { RESOURCES, verbsOf } from "./resources";

/** `/version`: what `kubectl version` prints as the server's. */
export const VERSION = {
  major: "1",
  minor: "35",
  gitVersion: "v1.35.0-gatehouse-stand-in",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.25",
  compiler: "gc",
  platform: "linux/amd64",
};

/** `/api`: the legacy core group's versions (plain JSON, so clients fall back from aggregated discovery). */
export const apiVersions = (address: string) => ({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: address }] });

const groupOf = (name: string) => ({ name, versions: [{ groupVersion: `${name}/v1`, version: "v1" }], preferredVersion: { groupVersion: `${name}/v1`, version: "v1" } });

/** `/apis` and `/apis/<group>`. */
export const apiGroupList = () => ({ kind: "APIGroupList", apiVersion: "v1", groups: [groupOf("apps")] });
export const apiGroup = (name: string) => (name === "apps" ? { kind: "APIGroup", apiVersion: "v1", ...groupOf(name) } : null);

/** `/api/v1` and `/apis/apps/v1`: resources with their verbs, short names and subresources. */
export function apiResourceList(group: string): Record<string, unknown> | null {
  const own = RESOURCES.filter((r) => r.group === group);
  if (own.length === 0) return null;
  const resources: Array<Record<string, unknown>> = own.map((r) => ({
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: verbsOf(r),
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    storageVersionHash: Buffer.from(r.resource).toString("base64").slice(0, 11),
  }));
  if (group === "") {
    resources.push(
      { name: "namespaces/status", singularName: "", namespaced: false, kind: "Namespace", verbs: ["get", "patch", "update"] },
      { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
      { name: "pods/exec", singularName: "", namespaced: true, kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "pods/status", singularName: "", namespaced: true, kind: "Pod", verbs: ["get", "patch", "update"] },
      { name: "serviceaccounts/token", singularName: "", namespaced: true, group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"] },
    );
  } else resources.push({ name: "deployments/status", singularName: "", namespaced: true, kind: "Deployment", verbs: ["get", "patch", "update"] });
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/v1` : "v1", resources };
}

const gvPath = (group: string) => (group ? `apis/${group}/v1` : "api/v1");

/** `/openapi/v3`: where each group version's document is. */
export const openApiV3Root = () => ({ paths: Object.fromEntries(["", "apps"].map((g) => [gvPath(g), { serverRelativeURL: `/openapi/v3/${gvPath(g)}?hash=STANDIN` }])) });

/**
 * `/openapi/v3/<group version>`: only what kubectl reads before a write, the PATCH operations with
 * their group-version-kind and the `fieldValidation` parameter (so it validates on the server,
 * with fieldValidation=Strict, instead of downloading schemas); no schemas.
 */
export function openApiV3(path: string): Record<string, unknown> | null {
  const group = ["", "apps"].find((g) => gvPath(g) === path);
  if (group === undefined) return null;
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x) => x.group === group)) {
    const item = `/${path}/${r.namespaced ? "namespaces/{namespace}/" : ""}${r.resource}/{name}`;
    const gvk = { group, version: r.version, kind: r.kind };
    const op = (verb: string) => ({
      operationId: `${verb}${r.kind}`,
      parameters: [{ name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } }],
      "x-kubernetes-action": verb,
      "x-kubernetes-group-version-kind": gvk,
      responses: { "200": { description: "OK" } },
    });
    paths[item] = { patch: op("patch"), put: op("put") };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes (Gatehouse stand-in)", version: "v1.35.0" }, paths, components: { schemas: {} } };
}
