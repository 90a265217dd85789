import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { addConnection } from "../../core/connections/add-connection";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, type Seed, type SeededIdentity } from "../support/seed";
import { startStandInApiServer, type StandInApiServer } from "./stand-in/api-server";
import { kubectl, writeKubeconfig } from "./kubectl";
import type { RunResult } from "../support/run-program";

export type KubeFixture = {
  gw: TestGateway;
  seed: Seed;
  api: StandInApiServer;
  agent: SeededIdentity;
  /** The gateway's TLS certificate (self-signed, generated into its data folder): the CA a kubeconfig embeds. */
  gatewayCa: string;
  /** `https://127.0.0.1:<http port>/k8s/<connection>` */
  server: (connection: string) => string;
  /** A kubeconfig for `connection` with `token` (the agent's key by default). */
  kubeconfig: (connection: string, token?: string) => string;
  /** kubectl through the gateway as the agent (or with another token). */
  kubectl: (connection: string, args: string[], opts?: { input?: string; token?: string }) => Promise<RunResult>;
  addCluster: (name: string, flags?: Record<string, string | boolean>) => Promise<void>;
  close: () => Promise<void>;
};

/** A gateway in front of the stand-in API server, with a Kubernetes connection `name` granted to the agent's group. */
export async function startKubeFixture(names: string[], env: Record<string, string> = {}): Promise<KubeFixture> {
  const api = await startStandInApiServer();
  const gw = await startTestGateway(env);
  const seed = openSeed(gw);
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kube-"));
  const caFile = path.join(dir, "cluster-ca.pem");
  writeFileSync(caFile, api.ca);
  const gatewayCa = readFileSync(path.join(gw.env.GATEHOUSE_DATA_DIR, "tls-cert.pem"), "utf8");
  const agent = await seedIdentity(seed, "kube-agent", ["platform"]);
  const addCluster = async (name: string, flags: Record<string, string | boolean> = {}) => {
    await addConnection(seed.db, seed.box, { name, type: "kubernetes", flags: { server: api.url, "ca-file": caFile, token: api.token, ...flags } });
    await seedGrant(seed, "platform", name);
  };
  for (const name of names) await addCluster(name);
  const server = (connection: string) => `https://127.0.0.1:${gw.gw.ports.http}/k8s/${connection}`;
  let n = 0;
  const kubeconfig = (connection: string, token = agent.key) => writeKubeconfig(path.join(dir, `kubeconfig-${++n}`), { server: server(connection), ca: gatewayCa, token });
  return {
    gw,
    seed,
    api,
    agent,
    gatewayCa,
    server,
    kubeconfig,
    kubectl: (connection, args, opts = {}) => kubectl(kubeconfig(connection, opts.token), args, { input: opts.input, timeoutMs: 60_000 }),
    addCluster,
    close: async () => {
      await seed.close();
      await gw.close();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One raw HTTPS request to the gateway's /k8s/cluster, trusting its certificate. */
export async function fetchStatus(f: KubeFixture, path: string, headers: Record<string, string>, opts: { method?: string; body?: Buffer; connection?: string } = {}) {
  const https = await import("node:https");
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = https.request(`${f.server(opts.connection ?? "cluster")}${path}`, { method: opts.method ?? "GET", headers, ca: f.gatewayCa }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}
