import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import { startKubeFixture, type KubeFixture } from "./kube-fixture";
import { startKubectl } from "./kubectl";
import { auditEventsAbout, decidePendingReview, killSession, seedIdentity, seedPolicy } from "../support/seed";
import { pendingReview } from "../support/pending-review";

const UPLOAD = 2 * 1024 * 1024;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A real TCP server (the pod's, reached on this machine's loopback by the stand-in): `G` sends the file; `P<bytes>` answers the sha256 of the bytes. */
async function fileServer(file: Buffer): Promise<net.Server> {
  const server = net.createServer((c) => {
    const got: Buffer[] = [];
    c.on("data", (d: Buffer) => {
      got.push(d);
      if (got.length === 1 && d[0] === 0x47) c.end(file);
    });
    c.on("end", () => {
      const all = Buffer.concat(got);
      if (all[0] === 0x50) c.end(sha256(all.subarray(1)));
    });
    c.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** One connection to kubectl's local port: sends `send`, half-closes when asked, returns all it reads. */
function exchange(port: number, send: Buffer, halfClose: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const c = net.connect(port, "127.0.0.1", () => (halfClose ? c.end(send) : c.write(send)));
    c.on("data", (d: Buffer) => got.push(d));
    c.on("end", () => resolve(Buffer.concat(got)));
    c.on("error", reject);
  });
}

// `kubectl port-forward` through the gateway: SPDY in a WebSocket (kubectl 1.35's default) or a SPDY
// upgrade (its fallback), relayed as bytes to the stand-in API server, which joins each forwarded
// connection to a real TCP server here (no Kubernetes API server runs on these machines).
describe("[KUBERNETES][PORT-FORWARD] kubectl port-forward through the gateway is judged, relayed and audited", () => {
  let f: KubeFixture;
  let server: net.Server;
  const file = randomBytes(3 * 1024 * 1024 + 17);
  beforeAll(async () => {
    server = await fileServer(file);
    f = await startKubeFixture(["cluster"]);
    await seedPolicy(f.seed, "cluster", {
      defaultAction: "allow",
      rules: [
        { name: "no-forwards-in-prod", action: "deny", match: { kinds: ["create pods/portforward"], namespaces: ["prod"] } },
        { name: "forwards-in-staging-reviewed", action: "review", match: { kinds: ["create pods/portforward"], namespaces: ["staging"] } },
      ],
    });
    for (const ns of ["prod", "staging"]) f.api.seed("namespaces", undefined, { metadata: { name: ns } });
    for (const ns of ["default", "prod", "staging"])
      f.api.seed("pods", ns, { metadata: { name: "web" }, spec: { containers: [{ name: "main", image: "nginx" }] }, status: { phase: "Running" } } as Parameters<KubeFixture["api"]["seed"]>[2]);
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
    server?.close();
  });

  const podPort = () => (server.address() as AddressInfo).port;
  /** The session of the identity's live port-forward (kubectl's discovery connection is a session too), by its audited start. */
  const forwardSession = async (identityName: string) => {
    let id: string | null = null;
    await expect
      .poll(
        async () => {
          await f.gw.gw.deps.audit.flush();
          const start = (await auditEventsAbout(f.seed, "/pods/web/portforward")).find((e) => e.identityName === identityName && e.action === "request.start");
          return (id = start?.sessionId ?? null);
        },
        { timeout: 10_000 },
      )
      .not.toBeNull();
    return id!;
  };

  for (const [transport, env, upgrade] of [
    ["SPDY in a WebSocket", {}, "websocket"],
    ["a SPDY upgrade (kubectl's fallback)", { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" }, "spdy/3.1"],
  ] as const) {
    it(`moves a file both ways with the same sha256 over ${transport}; audited as create pods/portforward with the bytes moved`, async () => {
      const forwards = async () => (await auditEventsAbout(f.seed, "/namespaces/default/pods/web/portforward")).filter((e) => e.identityName === who.name);
      const who = await seedIdentity(f.seed, `kube-forwarder-${upgrade.replace("/", "-")}`, ["platform"]);
      const pf = startKubectl(f.kubeconfig("cluster", who.key), ["port-forward", "pod/web", `:${podPort()}`], env);
      try {
        const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(await pf.waitFor(/Forwarding from 127\.0\.0\.1:\d+/))![1]);
        const downloaded = await exchange(local, Buffer.from("G"), false);
        expect(downloaded.length).toBe(file.length);
        expect(sha256(downloaded)).toBe(sha256(file));
        const upload = randomBytes(UPLOAD + 5);
        expect((await exchange(local, Buffer.concat([Buffer.from("P"), upload]), true)).toString()).toBe(sha256(upload));
      } finally {
        pf.stop();
      }
      const upgrades = f.api.seen.filter((s) => s.url.startsWith("/api/v1/namespaces/default/pods/web/portforward"));
      expect(upgrades.at(-1)?.headers.upgrade?.toLowerCase()).toBe(upgrade);
      await expect
        .poll(
          async () => {
            await f.gw.gw.deps.audit.flush();
            return (await forwards()).map((e) => [e.action, e.statementKind]);
          },
          { timeout: 10_000 },
        )
        .toEqual([
          ["request.start", "create pods/portforward"],
          ["request", "create pods/portforward"],
        ]);
      const end = (await forwards()).at(-1)!;
      const moved = end.details as { bytesIn: number; bytesOut: number };
      expect(moved.bytesIn).toBeGreaterThan(UPLOAD);
      expect(moved.bytesOut).toBeGreaterThan(file.length);
    });
  }

  it("a deny rule on create pods/portforward refuses it with a Status; nothing reaches the pod", async () => {
    const before = f.api.seen.filter((s) => s.url.includes("/namespaces/prod/pods/web/portforward")).length;
    const pf = startKubectl(f.kubeconfig("cluster"), ["-n", "prod", "port-forward", "pod/web", `:${podPort()}`]);
    const r = await pf.exited;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Gatehouse denied this request: rule "no-forwards-in-prod" matches this request');
    expect(f.api.seen.filter((s) => s.url.includes("/namespaces/prod/pods/web/portforward")).length).toBe(before);
  });

  it("an admin kill ends a running port-forward: the forwarded connection is cut, kubectl stops, the audit says why", async () => {
    const who = await seedIdentity(f.seed, "kube-forward-killed", ["platform"]);
    const pf = startKubectl(f.kubeconfig("cluster", who.key), ["port-forward", "pod/web", `:${podPort()}`]);
    try {
      const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(await pf.waitFor(/Forwarding from 127\.0\.0\.1:\d+/))![1]);
      // A connection that stays open (the server waits for a first byte), so the forward is live when killed.
      const open = net.connect(local, "127.0.0.1");
      const cut = new Promise<void>((resolve) => open.once("close", () => resolve()));
      open.on("error", () => {});
      await expect.poll(() => f.api.seen.filter((s) => s.url.startsWith("/api/v1/namespaces/default/pods/web/portforward")).length, { timeout: 10_000 }).toBeGreaterThan(0);
      await killSession(f.seed, await forwardSession(who.name));
      await cut;
      expect((await pf.exited).code).not.toBe(0);
    } finally {
      pf.stop();
    }
    await expect
      .poll(
        async () => {
          await f.gw.gw.deps.audit.flush();
          const ended = (await auditEventsAbout(f.seed, "/pods/web/portforward")).filter((e) => e.identityName === who.name && e.action === "request");
          return ended.map((e) => e.message);
        },
        { timeout: 10_000 },
      )
      .toEqual(["ended by Gatehouse: an administrator ended this session"]);
  });

  it("a held port-forward forwards once approved; one whose session is killed while held is refused, and kubectl says why", async () => {
    const approved = startKubectl(f.kubeconfig("cluster"), ["-n", "staging", "port-forward", "pod/web", `:${podPort()}`]);
    try {
      await decidePendingReview(f.seed, "/namespaces/staging/pods/web/portforward", { approve: true });
      const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(await approved.waitFor(/Forwarding from 127\.0\.0\.1:\d+/))![1]);
      expect(sha256(await exchange(local, Buffer.from("G"), false))).toBe(sha256(file));
    } finally {
      approved.stop();
    }
    const who = await seedIdentity(f.seed, "kube-forward-held-killed", ["platform"]);
    const held = startKubectl(f.kubeconfig("cluster", who.key), ["-n", "staging", "port-forward", "pod/web", `:${podPort()}`]);
    // The held upgrade's session is the review's.
    await killSession(f.seed, (await pendingReview(f.seed.db, "/namespaces/staging/pods/web/portforward")).sessionId!);
    const r = await held.exited;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Gatehouse did not run this request");
    expect(r.stderr).toContain("the session ended: an administrator ended this session");
  });
});
