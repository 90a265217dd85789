import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import tls from "node:tls";
import { fetchStatus, startKubeFixture, type KubeFixture } from "./kube-fixture";
import { startKubectl } from "./kubectl";
import * as m from "./manifests";
import { auditEventsAbout } from "../support/seed";
import { freePort } from "../support/free-port";

// Malformed and oversized requests to /k8s/, and a stand-in API server that goes away mid-watch or
// mid-exec: each gets a Kubernetes Status (or error-channel Status) from the gateway and
// nothing else is disturbed (a watch opened before goes on; kubectl still works after).
describe("[KUBERNETES][BAD INPUT] bad requests get a Kubernetes error and disturb nothing else", () => {
  let f: KubeFixture;
  beforeAll(async () => {
    f = await startKubeFixture(["cluster"]);
    await f.addCluster("small", { "max-body-bytes": "2048" });
    f.api.seed("pods", "default", { metadata: { name: "box" }, spec: { containers: [{ name: "main", image: "busybox" }] } });
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
  });

  it("ambiguous paths, oversized bodies, plain HTTP, pod proxy upgrades and unknown connections are refused with a Status", async () => {
    const watch = startKubectl(f.kubeconfig("cluster"), ["-n", "default", "get", "configmaps", "-w", "-o", "name"]);
    try {
      await new Promise((r) => setTimeout(r, 800));
      const auth = { authorization: `Bearer ${f.agent.key}` };
      const dots = await fetchStatus(f, "/api/v1/namespaces/%E0%A4%A/secrets", auth);
      expect(dots.status).toBe(400);
      expect(dots.body).toMatchObject({ kind: "Status", reason: "BadRequest", code: 400 });
      const big = await fetchStatus(
        f,
        "/api/v1/namespaces/default/configmaps",
        { ...auth, "content-type": "application/json" },
        { method: "POST", body: Buffer.alloc(4096, 0x20), connection: "small" },
      );
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ kind: "Status", reason: "RequestEntityTooLarge", code: 413 });
      const unknown = await fetchStatus(f, "/api/v1/namespaces", auth, { connection: "nowhere" });
      expect(unknown.status).toBe(403);
      expect(unknown.body).toMatchObject({ kind: "Status", reason: "Forbidden", message: expect.stringContaining('connection "nowhere" does not exist') });
      const none = await fetchStatus(f, "/api/v1/namespaces", {});
      expect(none.body).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
      // Plain HTTP on the same port: refused before the token is read.
      const plain = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${f.gw.gw.ports.http}/k8s/cluster/api/v1/namespaces`, { headers: auth }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on("error", reject);
      });
      expect(plain.status).toBe(403);
      expect(JSON.parse(plain.body)).toMatchObject({ kind: "Status", reason: "Forbidden", message: expect.stringContaining("TLS only") });
      // A pod proxy upgrade (not relayed), and a malformed request line: a Status, or a 400 from the HTTP parser, and the connection closed.
      const raw = (text: string) =>
        new Promise<string>((resolve) => {
          const s = tls.connect({ host: "127.0.0.1", port: f.gw.gw.ports.http, ca: f.gatewayCa, servername: "localhost" }, () => s.write(text));
          let out = "";
          s.on("data", (d) => (out += d));
          s.on("close", () => resolve(out));
          s.on("error", () => resolve(out));
        });
      const upgrade = await raw(
        `GET /k8s/cluster/api/v1/namespaces/default/pods/p/proxy/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${f.agent.key}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n`,
      );
      expect(upgrade).toMatch(/^HTTP\/1.1 403 Forbidden/);
      expect(upgrade).toContain('"kind":"Status"');
      // An exec offering only the base64 channel protocol: the gateway reads binary channel frames only, so it refuses.
      const base64 = await raw(
        `GET /k8s/cluster/api/v1/namespaces/default/pods/p/exec?command=true&stdout=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${f.agent.key}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: base64.channel.k8s.io\r\n\r\n`,
      );
      expect(base64).toMatch(/^HTTP\/1.1 400 Bad Request/);
      expect(base64).toContain("binary channel subprotocols");
      expect(await raw("GARBAGE \x00\x01 nonsense\r\n\r\n")).toMatch(/^HTTP\/1.1 400/);
      // Still working: the watch opened before sees a new object, and a new kubectl run works.
      f.api.seed("configmaps", "default", { metadata: { name: "after-the-noise" }, data: {} });
      expect(await watch.waitFor(/configmap\/after-the-noise/)).toContain("after-the-noise");
      expect((await f.kubectl("cluster", ["create", "-f", "-"], { input: m.namespace("still-fine") })).stdout).toBe("namespace/still-fine created\n");
    } finally {
      watch.stop();
    }
  });

  it("kubectl prints why on its first request (discovery): an unknown connection, and an API server that cannot be reached", async () => {
    // client-go's discovery reads an error's body only as text: a JSON Status there printed "unknown".
    const unknown = await f.kubectl("nowhere", ["get", "pods"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error from server (Forbidden): connection "nowhere" does not exist, is not a Kubernetes connection, or you are not allowed to use it');
    await f.addCluster("unreachable", { server: `https://127.0.0.1:${await freePort()}` });
    const down = await f.kubectl("unreachable", ["get", "pods"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/Error from server \(InternalError\): an error on the server \("the upstream could not be reached: connect ECONNREFUSED 127\.0\.0\.1:\d+"\)/);
    // Other paths keep the Status object.
    const status = await fetchStatus(f, "/api/v1/namespaces", { authorization: `Bearer ${f.agent.key}` }, { connection: "unreachable" });
    expect(status.body).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 502 });
  });

  it("an API server that goes away mid-watch breaks that watch only: the gateway audits it, kubectl watches again and sees what follows", async () => {
    const watch = startKubectl(f.kubeconfig("cluster"), ["-n", "default", "get", "configmaps", "-w", "-o", "name"]);
    try {
      const watches = () => f.api.seen.filter((s) => s.url.includes("watch=true")).length;
      const earlier = watches();
      // kubectl lists, then watches: wait for its watch to reach the API server (seconds on a loaded machine), then
      // a moment for the stand-in's headers to reach the gateway, so the watch is open when its connection drops.
      await expect.poll(watches, { timeout: 30_000 }).toBeGreaterThan(earlier);
      await new Promise((r) => setTimeout(r, 300));
      const before = watches();
      f.api.dropConnections();
      await expect.poll(watches, { timeout: 10_000 }).toBeGreaterThan(before);
      f.api.seed("configmaps", "default", { metadata: { name: "after-the-outage" }, data: {} });
      expect(await watch.waitFor(/configmap\/after-the-outage/)).toContain("after-the-outage");
      await f.gw.gw.deps.audit.flush();
      const broken = (await auditEventsAbout(f.seed, "configmaps?resourceVersion=")).filter((e) => e.outcome === "error");
      expect(broken.map((e) => e.message)).toContain("the response broke off: aborted");
      expect((await f.kubectl("cluster", ["get", "ns", "default", "-o", "name"])).stdout).toBe("namespace/default\n");
    } finally {
      watch.stop();
    }
  });

  it("an API server that goes away mid-exec: that kubectl reads why and fails; a followed log and new requests go on", async () => {
    const logs = startKubectl(f.kubeconfig("cluster"), ["logs", "-f", "box"]);
    const exec = startKubectl(f.kubeconfig("cluster"), ["exec", "box", "--", "sh", "-c", "echo exec-started; sleep 30; echo not-reached"]);
    try {
      await exec.waitFor(/exec-started/);
      await logs.waitFor(/tick 1\n/);
      f.api.dropUpgraded();
      const r = await exec.exited;
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("exec-started\n");
      expect(r.stderr).toContain("the API server closed this exec stream before it ended: it went away or dropped the connection");
      const ticks = (await logs.waitFor(/tick \d+\n/)).match(/tick \d+/g)!.length;
      expect(await logs.waitFor(new RegExp(`tick ${ticks + 2}\n`))).toContain(`tick ${ticks + 2}`);
      await f.gw.gw.deps.audit.flush();
      const ended = (await auditEventsAbout(f.seed, "/namespaces/default/pods/box/exec")).filter((e) => e.action === "request");
      expect(ended.map((e) => [e.outcome, e.message])).toEqual([["error", "the API server closed the stream before it ended"]]);
      expect((await f.kubectl("cluster", ["exec", "box", "--", "echo", "after-the-outage"])).stdout).toBe("after-the-outage\n");
    } finally {
      logs.stop();
      exec.stop();
    }
  });
});
