import { randomBytes } from "node:crypto";
import https from "node:https";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo, Socket } from "node:net";
import { generate } from "selfsigned";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, openApiV3, openApiV3Root, VERSION } from "./discovery";
import { findResource, RESOURCES, apiVersionOf, type KubeObject, type ResourceDef } from "./resources";
import { ObjectStore, StatusError, notFound, type WatchEvent } from "./store";
import { jsonPatch, mergePatch } from "./patch";
import { toTable, wantsTable } from "./table";
import { podExec } from "./pod-exec";
import { podAttach } from "./pod-attach";
import { podPortForward } from "./pod-port-forward";

/**
 * A stand-in Kubernetes API server for Gatehouse's tests. No Kubernetes API server runs on these
 * machines (none is packaged in Debian or npm), so this is a faithful-enough one written for the
 * tests: HTTPS with its own CA, bearer-token authentication (401 Status otherwise), discovery
 * (/api, /apis, /version, legacy APIResourceLists, so kubectl falls back from aggregated
 * discovery), namespaces, pods, deployments (apps/v1), secrets and configmaps with get, list
 * (meta.k8s.io Tables when asked), watch (chunked JSON event streams, resourceVersion replay,
 * timeoutSeconds), create, update, patch (JSON merge; strategic merge read as merge; JSON patch;
 * server-side apply read as merge), delete and deletecollection, label and field selectors, pod
 * logs. What it does not do: admission, RBAC, validation beyond names, real strategic-merge or
 * managed-fields semantics. Pod exec runs the command for real on this machine
 * (pod-exec.ts), and attach reaches a pod's main process, a real shell (pod-attach.ts); both over
 * WebSocket only (not SPDY). Port-forward reaches real TCP servers on this machine's loopback, over
 * SPDY tunnelled in a WebSocket or a SPDY upgrade (pod-port-forward.ts, spdy-session.ts).
 */
export type StandInApiServer = {
  url: string;
  port: number;
  /** The CA (its own self-signed certificate) a client must trust. */
  ca: string;
  /** The only bearer token it accepts. */
  token: string;
  store: ObjectStore;
  /** Requests received (method, URL, headers), in order. */
  seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  /** Requests that carried anything looking like a Gatehouse key (`ghk_`): the gateway must never forward one. */
  leaks: string[];
  /** Puts an object straight into the store, as if created by someone else. */
  seed: (resource: string, namespace: string | undefined, object: Partial<KubeObject> & { metadata: { name: string } }) => KubeObject;
  /** Cuts every client connection (a server that goes away mid-watch); it keeps listening. */
  dropConnections: () => void;
  /** Cuts the upgraded connections only (exec, attach, port-forward: a node that goes away mid-exec). */
  dropUpgraded: () => void;
  stop: () => Promise<void>;
};

const MAX_BODY = 3 * 1024 * 1024;
const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-cache, private" };

export async function startStandInApiServer(opts: { token?: string } = {}): Promise<StandInApiServer> {
  const pems = await generate([{ name: "commonName", value: "stand-in-kube-apiserver" }], {
    keySize: 2048,
    days: 30,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  } as Parameters<typeof generate>[1]);
  const token = opts.token ?? "stand-in-cluster-admin-token-5f1c0a9e";
  const store = new ObjectStore();
  const seen: StandInApiServer["seen"] = [];
  const leaks: string[] = [];
  const sockets = new Set<Socket>();
  const server = https.createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const raw = `${req.method} ${req.url}\n${req.rawHeaders.join("\n")}`;
    if (raw.includes("ghk_")) leaks.push(raw);
    handle(req, res).catch((err: unknown) => {
      if (err instanceof StatusError) return sendStatus(res, err.code, err.reason, err.message, err.details);
      sendStatus(res, 500, "InternalError", `the stand-in failed: ${(err as Error).message}`);
    });
  });
  // Pod exec over WebSocket (v5.channel.k8s.io): the command really runs here (see pod-exec.ts).
  const exec = podExec();
  // Pod attach (same channels): each pod's main process is a real shell here (see pod-attach.ts).
  const attach = podAttach();
  // Pod port-forward (SPDY in a WebSocket, or a SPDY upgrade) to real TCP servers on this machine (see pod-port-forward.ts).
  const portForward = podPortForward();
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    if (`${req.url}\n${req.rawHeaders.join("\n")}`.includes("ghk_")) leaks.push(`${req.method} ${req.url}`);
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)\/(exec|attach|portforward)(\?|$)/.exec(req.url ?? "");
    const refuse = (code: number, text: string) => socket.end(`HTTP/1.1 ${code} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    if (req.headers.authorization !== `Bearer ${token}`) return refuse(401, "Unauthorized");
    const pods = findResource("", "v1", "pods")!;
    if (!m || !store.has(pods, m[1], m[2])) return refuse(404, "Not Found");
    if (m[3] === "exec") return exec.handle(req, socket, head);
    if (m[3] === "portforward") return portForward.handle(req, socket, head, m[2]);
    const spec = store.get(pods, m[1], m[2]).spec as { containers?: Array<{ tty?: boolean }> } | undefined;
    attach.handle(req, socket, head, `${m[1]}/${m[2]}`, { tty: spec?.containers?.[0]?.tty === true });
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  for (const ns of ["default", "kube-system"]) store.create(findResource("", "v1", "namespaces")!, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${token}`) return sendStatus(res, 401, "Unauthorized", "Unauthorized");
    const u = new URL(req.url ?? "/", url);
    const segs = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? "GET";
    // Protobuf and CBOR are what real servers also speak; the stand-in answers as a server without them would (clients fall back to JSON).
    if (/protobuf|cbor/.test(String(req.headers["content-type"] ?? "")))
      return sendStatus(res, 415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
    const discovery = (doc: unknown) => (doc ? sendJson(res, 200, doc) : sendStatus(res, 404, "NotFound", "the server could not find the requested resource"));
    if (u.pathname === "/version") return sendJson(res, 200, VERSION);
    if (u.pathname === "/healthz" || u.pathname === "/readyz") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    if (u.pathname === "/openapi/v3") return sendJson(res, 200, openApiV3Root());
    if (segs[0] === "openapi" && segs[1] === "v3") return discovery(openApiV3(segs.slice(2).join("/")));
    if (segs[0] === "openapi") return sendStatus(res, 404, "NotFound", "the stand-in publishes OpenAPI v3 only");
    if (segs[0] === "api") {
      if (segs.length === 1) return discovery(apiVersions(`127.0.0.1:${port}`));
      if (segs[1] !== "v1") return discovery(null);
      if (segs.length === 2) return discovery(apiResourceList(""));
      return resourceRequest(req, res, u, method, "", "v1", segs.slice(2));
    }
    if (segs[0] === "apis") {
      if (segs.length === 1) return discovery(apiGroupList());
      if (segs.length === 2) return discovery(apiGroup(segs[1]));
      if (segs.length === 3) return discovery(segs[2] === "v1" ? apiResourceList(segs[1]) : null);
      return resourceRequest(req, res, u, method, segs[1], segs[2], segs.slice(3));
    }
    return discovery(null);
  }

  async function resourceRequest(req: IncomingMessage, res: ServerResponse, u: URL, method: string, group: string, version: string, rest: string[]): Promise<void> {
    let namespace: string | undefined;
    let parts = rest;
    // namespaces/<ns>/<resource>... is a namespaced resource; namespaces/<ns>[/status] is the namespace itself.
    if (rest[0] === "namespaces" && rest.length >= 3 && findResource(group, version, rest[2])?.namespaced) {
      namespace = rest[1];
      parts = rest.slice(2);
    }
    const [resource, name, sub] = parts;
    const r = findResource(group, version, resource);
    if (!r || parts.length > 3) return sendStatus(res, 404, "NotFound", "the server could not find the requested resource");
    const q = u.searchParams;
    const dryRun = q.getAll("dryRun").includes("All");
    const fieldManager = q.get("fieldManager") ?? undefined;
    if (namespace !== undefined && !store.has(findResource("", "v1", "namespaces")!, undefined, namespace) && method !== "GET") throw notFound(findResource("", "v1", "namespaces")!, namespace);
    if (sub === "log" && r.kind === "Pod" && method === "GET") return podLog(res, r, namespace, name, q.get("follow") === "true");
    if (sub === "token" && r.resource === "serviceaccounts" && method === "POST") return tokenRequest(req, res, r, namespace, name);
    if (sub) return sendStatus(res, 404, "NotFound", "the server could not find the requested resource");
    if (name === undefined) {
      if (method === "GET" && (q.get("watch") === "1" || q.get("watch") === "true")) return watch(req, res, r, namespace, q);
      if (method === "GET") {
        const items = select(store.list(r, namespace), q);
        if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(r, items, store.resourceVersion));
        return sendJson(res, 200, listOf(r, items, store.resourceVersion));
      }
      if (method === "POST") return sendJson(res, 201, store.create(r, namespace, (await readJson(req)) as KubeObject, { dryRun, fieldManager }));
      if (method === "DELETE") {
        const gone = select(store.list(r, namespace), q).map((o) => remove(r, o.metadata.namespace, o.metadata.name, dryRun));
        return sendJson(res, 200, listOf(r, gone, store.resourceVersion));
      }
      return sendStatus(res, 405, "MethodNotAllowed", `${method} is not supported on ${r.resource}`);
    }
    if (method === "GET") {
      const o = store.get(r, namespace, name);
      return sendJson(res, 200, wantsTable(req.headers.accept) ? toTable(r, [o], store.resourceVersion) : o);
    }
    if (method === "PUT") return sendJson(res, 200, store.update(r, namespace, name, (await readJson(req)) as KubeObject, { dryRun }));
    if (method === "DELETE") {
      await readBody(req);
      return sendJson(res, 200, remove(r, namespace, name, dryRun));
    }
    if (method === "PATCH") {
      const type = String(req.headers["content-type"] ?? "")
        .split(";")[0]
        .trim();
      const body = await readJson(req);
      if (type === "application/apply-patch+yaml") {
        if (!store.has(r, namespace, name))
          return sendJson(res, 201, store.create(r, namespace, { ...(body as KubeObject), metadata: { ...(body as KubeObject).metadata, name } }, { dryRun, fieldManager, operation: "Apply" }));
        return sendJson(res, 200, store.update(r, namespace, name, mergePatch(store.get(r, namespace, name), body) as KubeObject, { dryRun }));
      }
      const old = store.get(r, namespace, name);
      let patched: unknown;
      if (type === "application/merge-patch+json" || type === "application/strategic-merge-patch+json") patched = mergePatch(old, body);
      else if (type === "application/json-patch+json") patched = jsonPatch(old, body);
      else
        return sendStatus(
          res,
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      (patched as KubeObject).metadata.resourceVersion = old.metadata.resourceVersion;
      return sendJson(res, 200, store.update(r, namespace, name, patched as KubeObject, { dryRun }));
    }
    return sendStatus(res, 405, "MethodNotAllowed", `${method} is not supported on ${r.resource}`);
  }

  /** Deletes an object; a namespace takes everything in it along. */
  function remove(r: ResourceDef, namespace: string | undefined, name: string, dryRun: boolean): KubeObject {
    if (r.kind === "Namespace" && !dryRun) {
      store.get(r, undefined, name);
      for (const inner of RESOURCES.filter((x) => x.namespaced)) for (const o of store.list(inner, name)) store.delete(inner, name, o.metadata.name);
    }
    const gone = store.delete(r, namespace, name, { dryRun });
    if (r.kind === "Namespace") gone.status = { phase: "Terminating" };
    return gone;
  }

  function watch(req: IncomingMessage, res: ServerResponse, r: ResourceDef, namespace: string | undefined, q: URLSearchParams): void {
    const table = wantsTable(req.headers.accept);
    const since = Number(q.get("resourceVersion") || 0);
    const initial = q.get("sendInitialEvents") === "true" || since === 0;
    const matches = (o: KubeObject) => select([o], q).length > 0;
    let first = true;
    const send = (e: { type: string; object: unknown }) => res.write(`${JSON.stringify(e)}\n`);
    const event = (e: WatchEvent) => {
      if (!matches(e.object)) return;
      send({ type: e.type, object: table ? toTable(r, [e.object], e.object.metadata.resourceVersion ?? store.resourceVersion, first) : stripList(e.object, r) });
      first = false;
    };
    res.writeHead(200, { ...JSON_HEADERS, "transfer-encoding": "chunked" });
    res.flushHeaders();
    if (initial) {
      for (const o of store.list(r, namespace)) event({ type: "ADDED", object: o });
      if (q.get("sendInitialEvents") === "true")
        send({ type: "BOOKMARK", object: { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: store.resourceVersion, annotations: { "k8s.io/initial-events-end": "true" } } } });
    }
    const stop = store.watch(r, namespace, initial ? Number(store.resourceVersion) : since, event);
    const seconds = Number(q.get("timeoutSeconds") ?? 0);
    const timer = seconds > 0 ? setTimeout(() => res.end(), seconds * 1000) : undefined;
    res.once("close", () => {
      stop();
      clearTimeout(timer);
    });
  }

  /** A service account token (TokenRequest): a credential of the cluster's own, as `kubectl create token` asks for. */
  async function tokenRequest(req: IncomingMessage, res: ServerResponse, r: ResourceDef, namespace: string | undefined, name: string): Promise<void> {
    store.get(r, namespace, name); // 404 for a service account that does not exist
    const body = (await readJson(req)) as { spec?: { expirationSeconds?: number } };
    const seconds = body.spec?.expirationSeconds ?? 3600;
    sendJson(res, 201, {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace, creationTimestamp: null },
      spec: { audiences: ["https://kubernetes.default.svc"], expirationSeconds: seconds, boundObjectRef: null },
      status: { token: `stand-in-sa-token.${namespace}.${name}.${randomBytes(8).toString("hex")}`, expirationTimestamp: new Date(Date.now() + seconds * 1000).toISOString() },
    });
  }

  function podLog(res: ServerResponse, r: ResourceDef, namespace: string | undefined, name: string, follow: boolean): void {
    const pod = store.get(r, namespace, name);
    const text = pod.metadata.annotations?.["stand-in/log"] ?? `started ${name}\nlistening on :8080\n`;
    res.writeHead(200, { "content-type": "text/plain", "transfer-encoding": "chunked" });
    res.write(text);
    if (!follow) return void res.end();
    // Followed lines: the pod's `stand-in/follow-log` annotation with {n} counted up, else `tick <n>`.
    const line = pod.metadata.annotations?.["stand-in/follow-log"] ?? "tick {n}";
    let n = 0;
    const timer = setInterval(() => res.write(`${line.replaceAll("{n}", String(++n))}\n`), 300);
    res.once("close", () => clearInterval(timer));
  }

  return {
    url,
    port,
    ca: pems.cert,
    token,
    store,
    seen,
    leaks,
    seed: (resource, namespace, object) => {
      const r = RESOURCES.find((x) => x.resource === resource);
      if (!r) throw new Error(`the stand-in has no resource ${resource}`);
      return store.create(r, namespace, { apiVersion: apiVersionOf(r), kind: r.kind, ...object } as KubeObject, { fieldManager: "stand-in-seed" });
    },
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    dropUpgraded: () => {
      for (const s of upgraded) s.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        exec.close();
        attach.close();
        portForward.close();
        server.close(() => resolve());
      }),
  };
}

/** A list as the real server sends it: `<Kind>List`, items without their own kind and apiVersion. */
function listOf(r: ResourceDef, items: KubeObject[], resourceVersion: string): Record<string, unknown> {
  return { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: { resourceVersion }, items: items.map((o) => stripList(o, r, true)) };
}

function stripList(o: KubeObject, _r: ResourceDef, inList = false): KubeObject {
  if (!inList) return o;
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest as KubeObject;
}

/** labelSelector (a=b, a!=b, a) and fieldSelector (metadata.name, metadata.namespace). */
function select(items: KubeObject[], q: URLSearchParams): KubeObject[] {
  const labels = (q.get("labelSelector") ?? "").split(",").filter(Boolean);
  const fields = (q.get("fieldSelector") ?? "").split(",").filter(Boolean);
  return items.filter((o) => {
    for (const l of labels) {
      const m = /^([^!=]+)(!=|==|=)?(.*)$/.exec(l)!;
      const v = o.metadata.labels?.[m[1].trim()];
      if (!m[2] && v === undefined) return false;
      if ((m[2] === "=" || m[2] === "==") && v !== m[3].trim()) return false;
      if (m[2] === "!=" && v === m[3].trim()) return false;
    }
    for (const f of fields) {
      const [k, want] = f.split(/!?=+/);
      const neg = f.includes("!=");
      const v = k === "metadata.name" ? o.metadata.name : k === "metadata.namespace" ? o.metadata.namespace : undefined;
      if ((v === want) === neg) return false;
    }
    return true;
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...JSON_HEADERS, "content-length": payload.length }).end(payload);
}

export function sendStatus(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  if (res.headersSent) return void res.destroy();
  sendJson(res, code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new StatusError(413, "RequestEntityTooLarge", "the request is too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new StatusError(400, "BadRequest", "the stand-in reads JSON bodies only (kubectl sends JSON, also for server-side apply)");
  }
}
