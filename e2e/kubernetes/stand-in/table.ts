import type { KubeObject, ResourceDef } from "./resources";

/** Whether the client asked for server-side printing (`kubectl get` asks for meta.k8s.io Tables). */
export const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? "");

function age(o: KubeObject): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(o.metadata.creationTimestamp ?? new Date().toISOString())) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

/** A meta.k8s.io/v1 Table of objects, rows carrying PartialObjectMetadata as a real server's do by default. */
export function toTable(r: ResourceDef, objects: KubeObject[], resourceVersion: string, withColumns = true): Record<string, unknown> {
  const col = (name: string, type: string, format = "") => ({ name, type, format, description: "", priority: 0 });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: withColumns ? [col("Name", "string", "name"), ...r.columns.map((c) => col(c.name, "string")), col("Age", "string")] : [],
    rows: objects.map((o) => ({
      cells: [o.metadata.name, ...r.columns.map((c) => c.cell(o)), age(o)],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}
