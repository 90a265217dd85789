import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import { PassThrough, Writable } from "node:stream";
import { Attach, KubeConfig, PortForward } from "@kubernetes/client-node";
import { startKubeFixture, type KubeFixture } from "./kube-fixture";
import { auditEventsAbout } from "../support/seed";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A writable that keeps what it is given. */
function collector(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(c: Buffer, _e, done) {
        chunks.push(Buffer.from(c));
        done();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

/** Resolves when a client-node WebSocket closes. */
const closed = (ws: { on: (event: "close", listener: () => void) => unknown }) => new Promise<void>((resolve) => ws.on("close", () => resolve()));

// @kubernetes/client-node 1.4 (the second client) through the gateway: attach over the channel
// protocol, and port-forward over the kubelet's older WebSocket channel protocol (not kubectl's
// SPDY), both relayed to the stand-in API server (no Kubernetes API server runs on these machines).
describe("[KUBERNETES][CLIENT-NODE] client-node's attach and port-forward through the gateway", () => {
  let f: KubeFixture;
  let kc: KubeConfig;
  let server: net.Server;
  const file = randomBytes(1024 * 1024 + 3);
  beforeAll(async () => {
    server = net.createServer((c) => c.end(file));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    f = await startKubeFixture(["cluster"]);
    f.api.seed("pods", "default", { metadata: { name: "worker" }, spec: { containers: [{ name: "main", image: "busybox", stdin: true, stdinOnce: true }] } });
    kc = new KubeConfig();
    kc.loadFromFile(f.kubeconfig("cluster"));
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
    server?.close();
  });

  it("attaches with stdin and reads the process's output; audited as create pods/attach", async () => {
    const out = collector();
    const input = new PassThrough();
    const ws = await new Attach(kc).attach("default", "worker", "main", out.stream, process.stderr, input, false);
    input.end("echo from-client-node-$((1 + 1))\n");
    await closed(ws);
    expect(out.bytes().toString()).toBe("from-client-node-2\n");
    await f.gw.gw.deps.audit.flush();
    expect((await auditEventsAbout(f.seed, "/pods/worker/attach")).map((e) => e.statementKind)).toContain("create pods/attach");
  });

  it("port-forwards to a real TCP server and receives a file with the same sha256; audited as create pods/portforward", async () => {
    const out = collector();
    const err = collector();
    const port = (server.address() as AddressInfo).port;
    // Without a retry count, client-node hands back the WebSocket itself.
    const ws = await new PortForward(kc).portForward("default", "worker", [port], out.stream, err.stream, new PassThrough());
    if (typeof ws === "function") throw new Error("client-node returned a reconnecting handle");
    await closed(ws);
    expect(err.bytes().toString()).toBe("");
    expect(out.bytes().length).toBe(file.length);
    expect(sha256(out.bytes())).toBe(sha256(file));
    await expect
      .poll(
        async () => {
          await f.gw.gw.deps.audit.flush();
          return (await auditEventsAbout(f.seed, "/pods/worker/portforward")).map((e) => [e.action, e.statementKind]);
        },
        { timeout: 5000 },
      )
      .toEqual([
        ["request.start", "create pods/portforward"],
        ["request", "create pods/portforward"],
      ]);
  });
});
