/**
 * The kinds of object the stand-in API server serves, as a real API server's discovery documents
 * name them (group, version, plural, kind, short names, verbs). Only what Gatehouse's tests drive.
 */
export type ResourceDef = {
  group: "" | "apps";
  version: "v1";
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** The columns `kubectl get` prints (meta.k8s.io/v1 Table), besides Name and Age. */
  columns: Array<{ name: string; cell: (o: KubeObject) => string | number }>;
};

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: unknown[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
export const verbsOf = (_r: ResourceDef) => VERBS;

const count = (o: KubeObject, field: string) => Object.keys((o[field] as Record<string, unknown> | undefined) ?? {}).length;
const status = (o: KubeObject) => (o.status as Record<string, unknown> | undefined) ?? {};

export const RESOURCES: ResourceDef[] = [
  {
    group: "",
    version: "v1",
    resource: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    namespaced: false,
    shortNames: ["ns"],
    columns: [{ name: "Status", cell: (o) => String(status(o).phase ?? "Active") }],
  },
  {
    group: "",
    version: "v1",
    resource: "pods",
    singular: "pod",
    kind: "Pod",
    namespaced: true,
    shortNames: ["po"],
    columns: [
      { name: "Ready", cell: (o) => `1/${((o.spec as { containers?: unknown[] } | undefined)?.containers ?? [1]).length}` },
      { name: "Status", cell: (o) => String(status(o).phase ?? "Running") },
      { name: "Restarts", cell: () => 0 },
    ],
  },
  {
    group: "",
    version: "v1",
    resource: "secrets",
    singular: "secret",
    kind: "Secret",
    namespaced: true,
    shortNames: [],
    columns: [
      { name: "Type", cell: (o) => String(o.type ?? "Opaque") },
      { name: "Data", cell: (o) => count(o, "data") },
    ],
  },
  {
    group: "",
    version: "v1",
    resource: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    namespaced: true,
    shortNames: ["sa"],
    columns: [{ name: "Secrets", cell: () => 0 }],
  },
  {
    group: "",
    version: "v1",
    resource: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    namespaced: true,
    shortNames: ["cm"],
    columns: [{ name: "Data", cell: (o) => count(o, "data") + count(o, "binaryData") }],
  },
  {
    group: "apps",
    version: "v1",
    resource: "deployments",
    singular: "deployment",
    kind: "Deployment",
    namespaced: true,
    shortNames: ["deploy"],
    columns: [
      { name: "Ready", cell: (o) => `${Number(status(o).readyReplicas ?? 0)}/${Number((o.spec as { replicas?: number } | undefined)?.replicas ?? 1)}` },
      { name: "Up-to-date", cell: (o) => Number(status(o).updatedReplicas ?? 0) },
      { name: "Available", cell: (o) => Number(status(o).availableReplicas ?? 0) },
    ],
  },
];

export const apiVersionOf = (r: ResourceDef) => (r.group ? `${r.group}/${r.version}` : r.version);

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}
