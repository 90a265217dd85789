import { randomBytes, randomUUID } from "node:crypto";
import { apiVersionOf, type KubeObject, type ResourceDef } from "./resources";

export type WatchEvent = { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject };
type Logged = WatchEvent & { rv: number; resource: string; namespace: string | undefined };
type Watcher = { resource: string; namespace: string | undefined; send: (e: Logged) => void };

/** A failure the server answers with a Kubernetes Status of this code and reason. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; kind?: string; group?: string },
  ) {
    super(message);
  }
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * The stand-in's objects, one global resourceVersion counter as etcd's revision, and the log of
 * changes a watch from an older resourceVersion replays (the last 2000, as a real server's watch
 * cache keeps a window; older ones get 410 Gone).
 */
export class ObjectStore {
  private rv = 1;
  private readonly objects = new Map<string, KubeObject>();
  private readonly log: Logged[] = [];
  private readonly watchers = new Set<Watcher>();

  get resourceVersion(): string {
    return String(this.rv);
  }

  private key = (r: ResourceDef, namespace: string | undefined, name: string) => `${r.resource}\n${r.namespaced ? namespace : ""}\n${name}`;

  list(r: ResourceDef, namespace: string | undefined): KubeObject[] {
    const prefix = `${r.resource}\n${r.namespaced && namespace ? `${namespace}\n` : ""}`;
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, o]) => clone(o))
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }

  get(r: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const o = this.objects.get(this.key(r, namespace, name));
    if (!o) throw notFound(r, name);
    return clone(o);
  }

  has(r: ResourceDef, namespace: string | undefined, name: string): boolean {
    return this.objects.has(this.key(r, namespace, name));
  }

  /** Stores a new object (defaults filled in, stringData folded into data as the real server does). */
  create(r: ResourceDef, namespace: string | undefined, body: KubeObject, opts: { dryRun?: boolean; fieldManager?: string; operation?: string } = {}): KubeObject {
    const o = clone(body);
    o.apiVersion = apiVersionOf(r);
    o.kind = r.kind;
    o.metadata ??= { name: "" };
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${randomBytes(3).toString("hex").slice(0, 5)}`;
    if (!o.metadata.name) throw new StatusError(422, "Invalid", `${r.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: r.kind });
    if (r.namespaced) o.metadata.namespace = namespace;
    else delete o.metadata.namespace;
    if (this.has(r, namespace, o.metadata.name)) throw new StatusError(409, "AlreadyExists", `${r.resource} "${o.metadata.name}" already exists`, { name: o.metadata.name, kind: r.resource });
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    o.metadata.managedFields = [
      { manager: opts.fieldManager ?? "unknown", operation: opts.operation ?? "Update", apiVersion: o.apiVersion, time: o.metadata.creationTimestamp, fieldsType: "FieldsV1", fieldsV1: {} },
    ];
    normalise(r, o);
    if (opts.dryRun) return o;
    return this.commit(r, "ADDED", o);
  }

  /** Replaces an object (PUT, and the result of a patch). */
  update(r: ResourceDef, namespace: string | undefined, name: string, body: KubeObject, opts: { dryRun?: boolean } = {}): KubeObject {
    const old = this.get(r, namespace, name);
    const o = clone(body);
    o.apiVersion = apiVersionOf(r);
    o.kind = r.kind;
    o.metadata = { ...o.metadata, name, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, managedFields: old.metadata.managedFields };
    if (r.namespaced) o.metadata.namespace = namespace;
    if (body.metadata?.resourceVersion && body.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${r.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
        name,
        kind: r.resource,
      });
    normalise(r, o);
    if (opts.dryRun) return o;
    return this.commit(r, "MODIFIED", o);
  }

  delete(r: ResourceDef, namespace: string | undefined, name: string, opts: { dryRun?: boolean } = {}): KubeObject {
    const o = this.get(r, namespace, name);
    if (opts.dryRun) return o;
    this.objects.delete(this.key(r, namespace, name));
    return this.record(r, "DELETED", o);
  }

  /** Follows changes of one resource (in one namespace, or all) from `sinceRv` on; returns the stop function. */
  watch(r: ResourceDef, namespace: string | undefined, sinceRv: number, send: (e: WatchEvent) => void): () => void {
    const oldest = this.log[0]?.rv ?? this.rv;
    if (sinceRv < oldest - 1 && sinceRv !== 0) throw new StatusError(410, "Expired", `too old resource version: ${sinceRv} (${oldest - 1})`);
    const matches = (e: Logged) => e.resource === r.resource && (!r.namespaced || !namespace || e.namespace === namespace);
    for (const e of this.log) if (e.rv > sinceRv && matches(e)) send({ type: e.type, object: clone(e.object) });
    const w: Watcher = { resource: r.resource, namespace, send: (e) => matches(e) && send({ type: e.type, object: clone(e.object) }) };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  private commit(r: ResourceDef, type: WatchEvent["type"], o: KubeObject): KubeObject {
    this.objects.set(this.key(r, o.metadata.namespace, o.metadata.name), o);
    return this.record(r, type, o);
  }

  private record(r: ResourceDef, type: WatchEvent["type"], o: KubeObject): KubeObject {
    o.metadata.resourceVersion = String(++this.rv);
    const e: Logged = { type, object: clone(o), rv: this.rv, resource: r.resource, namespace: o.metadata.namespace };
    this.log.push(e);
    if (this.log.length > 2000) this.log.shift();
    for (const w of this.watchers) w.send(e);
    return clone(o);
  }
}

export const notFound = (r: ResourceDef, name: string) =>
  new StatusError(404, "NotFound", `${r.resource}${r.group ? `.${r.group}` : ""} "${name}" not found`, { name, kind: r.resource, ...(r.group ? { group: r.group } : {}) });

/** What the real server fills in: Secret stringData folded into base64 data, default types and statuses. */
function normalise(r: ResourceDef, o: KubeObject): void {
  if (r.kind === "Secret") {
    o.type ??= "Opaque";
    const data = { ...((o.data as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries((o.stringData as Record<string, string> | undefined) ?? {})) data[k] = Buffer.from(v, "utf8").toString("base64");
    delete o.stringData;
    if (Object.keys(data).length) o.data = data;
  }
  if (r.kind === "Namespace") {
    o.spec ??= { finalizers: ["kubernetes"] };
    o.status ??= { phase: "Active" };
    o.metadata.labels = { ...o.metadata.labels, "kubernetes.io/metadata.name": o.metadata.name };
  }
  if (r.kind === "Pod") o.status = { phase: "Running", ...(o.status as object | undefined) };
  if (r.kind === "Deployment") {
    const replicas = Number((o.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    o.spec = { replicas, ...(o.spec as object | undefined) };
    o.status = { replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas };
  }
}
