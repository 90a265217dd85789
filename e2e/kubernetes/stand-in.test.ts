import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { startStandInApiServer, type StandInApiServer } from "./stand-in/api-server";
import { kubectl, startKubectl, writeKubeconfig } from "./kubectl";
import * as m from "./manifests";
import { connectionTypeOf } from "../../core/connections/registry";
import { kubernetesFormSchema } from "../../core/connections/types/kubernetes";

// The stand-in API server is what the gateway's Kubernetes tests put behind the gateway: this file
// checks, with the real clients and no gateway, that it answers them as a cluster would, so a test
// through the gateway that fails points at the gateway.
describe("[KUBERNETES][STAND-IN] the stand-in API server answers kubectl and client-node as a cluster would", () => {
  let api: StandInApiServer;
  let dir: string;
  let kc: string;
  beforeAll(async () => {
    api = await startStandInApiServer();
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kube-"));
    kc = writeKubeconfig(path.join(dir, "kubeconfig"), { server: api.url, ca: api.ca, token: api.token });
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("kubectl creates, lists, patches, applies server-side and deletes", async () => {
    const created = await kubectl(kc, ["create", "-f", "-"], { input: m.all(m.namespace("shop"), m.secret("shop", "db", { password: "hunter2" }), m.deployment("shop", "web")) });
    expect(created.stderr).toBe("");
    expect(created.stdout).toBe("namespace/shop created\nsecret/db created\ndeployment.apps/web created\n");
    expect((await kubectl(kc, ["-n", "shop", "get", "deploy"])).stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+1\/1\s+1\s+1\s+\d+s\n$/);
    expect((await kubectl(kc, ["-n", "shop", "get", "secret", "db", "-o", "jsonpath={.data.password}"])).stdout).toBe(Buffer.from("hunter2").toString("base64"));
    expect((await kubectl(kc, ["-n", "shop", "patch", "deploy", "web", "-p", '{"spec":{"replicas":3}}'])).stdout).toBe("deployment.apps/web patched\n");
    expect((await kubectl(kc, ["-n", "shop", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])).stdout).toBe("3");
    expect((await kubectl(kc, ["apply", "--server-side", "-f", "-"], { input: m.configMap("shop", "cfg", { mode: "blue" }) })).stdout).toBe("configmap/cfg serverside-applied\n");
    expect((await kubectl(kc, ["apply", "-f", "-"], { input: m.configMap("shop", "cfg", { mode: "green" }) })).stdout).toMatch(/configmap\/cfg (configured|serverside-applied)/);
    expect((await kubectl(kc, ["delete", "ns", "shop"])).stdout).toBe('namespace "shop" deleted\n');
    const after = await kubectl(kc, ["-n", "shop", "get", "deploy", "web"]);
    expect(after.stderr).toContain('namespaces "shop" not found');
  });

  it("a watch (kubectl get -w) receives an event as it happens", async () => {
    const w = startKubectl(kc, ["-n", "default", "get", "configmaps", "-w", "-o", "name"]);
    try {
      await new Promise((r) => setTimeout(r, 500));
      api.seed("configmaps", "default", { metadata: { name: "watched-one" }, data: { a: "1" } });
      expect(await w.waitFor(/configmap\/watched-one/)).toContain("configmap/watched-one");
    } finally {
      w.stop();
    }
  });

  it("pod exec over WebSocket runs the command for real: stdout, stderr, stdin and the exit status", async () => {
    api.seed("pods", "default", { metadata: { name: "box" }, spec: { containers: [{ name: "main", image: "busybox" }] } });
    const once = await kubectl(kc, ["exec", "box", "--", "sh", "-c", "echo out; echo err >&2; exit 4"]);
    expect([once.stdout, once.code]).toEqual(["out\n", 4]);
    expect(once.stderr).toContain("err\ncommand terminated with exit code 4");
    expect((await kubectl(kc, ["exec", "-i", "box", "--", "sh"], { input: "echo from-stdin-$((6 * 7))\n" })).stdout).toBe("from-stdin-42\n");
  });

  it("the console's Test connection reaches it with the connection's token and CA, and names a wrong token", async () => {
    const settings = connectionTypeOf("kubernetes").parseSettings({ name: "t", type: "kubernetes", settings: { server: api.url, caBundle: api.ca } });
    const form = kubernetesFormSchema.parse({ type: "kubernetes", name: "t", server: api.url });
    expect(await connectionTypeOf("kubernetes").test({ settings, secret: { token: api.token }, form })).toMatchObject({ ok: true, serverVersion: "Kubernetes v1.35.0-gatehouse-stand-in" });
    expect(await connectionTypeOf("kubernetes").test({ settings, secret: { token: "wrong" }, form })).toMatchObject({ ok: false, error: "the API server refused the credential (HTTP 401)" });
    const untrusted = connectionTypeOf("kubernetes").parseSettings({ name: "t", type: "kubernetes", settings: { server: api.url } });
    expect(await connectionTypeOf("kubernetes").test({ settings: untrusted, secret: { token: api.token }, form })).toMatchObject({ ok: false });
  });

  it("a wrong bearer token is refused with a 401 Status", async () => {
    const bad = writeKubeconfig(path.join(dir, "bad"), { server: api.url, ca: api.ca, token: "not-the-token" });
    const r = await kubectl(bad, ["get", "ns"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: You must be logged in to the server");
  });

  it("@kubernetes/client-node (a second client) lists namespaces", async () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "c", server: api.url, caData: Buffer.from(api.ca).toString("base64") }],
      users: [{ name: "u", token: api.token }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    const list = await config.makeApiClient(CoreV1Api).listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(["default", "kube-system"]));
  });
});
