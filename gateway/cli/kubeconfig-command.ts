import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";
import type { GatewayConfig } from "../config";
import { UsageError } from "./usage-error";

export const KUBECONFIG_USAGE =
  "  kubeconfig <connection> [--gateway https://HOST:PORT] [--token KEY]\n                                                       print a kubeconfig for kubectl through the gateway (its CA embedded)";

/** Where the placeholder token stands when no key is given: kubectl refuses it until the caller pastes theirs. */
export const TOKEN_PLACEHOLDER = "PASTE-YOUR-GATEHOUSE-KEY-OR-OIDC-TOKEN-HERE";

/**
 * `gatehouse kubeconfig <connection>`: a kubeconfig whose server is the gateway's /k8s/<connection>
 * over TLS (the HTTP port; `--gateway` when clients reach it by another name), with the gateway's
 * certificate embedded as the cluster's CA, and as the user's token the key given (or a placeholder
 * to paste a Gatehouse key or OIDC access token into). The cluster's own credential never appears.
 */
export async function kubeconfigCommand(db: Db, config: GatewayConfig, name: string | undefined, flags: { gateway?: string; token?: string }, out: (line: string) => void): Promise<void> {
  if (!name) throw new UsageError("kubeconfig needs a connection name");
  const [c] = await db.select({ type: connections.type }).from(connections).where(eq(connections.name, name));
  if (!c) throw new Error(`there is no connection named ${name}`);
  if (c.type !== "kubernetes") throw new Error(`connection ${name} is a ${c.type} connection, not kubernetes`);
  const certFile = config.tls.certFile ?? path.join(config.dataDir, "tls-cert.pem");
  if (!existsSync(certFile)) throw new Error(`the gateway's TLS certificate (${certFile}) is not there yet: start the gateway once (it generates one), or set GATEHOUSE_TLS_CERT`);
  let base = flags.gateway ?? `https://127.0.0.1:${config.ports.http}`;
  try {
    const u = new URL(base);
    if (u.protocol !== "https:") throw new Error();
    base = u.origin;
  } catch {
    throw new UsageError(`--gateway takes the gateway's https://host:port (kubectl sends tokens only over TLS), not ${base}`);
  }
  const ca = Buffer.from(readFileSync(certFile)).toString("base64");
  const id = `gatehouse-${name}`;
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    `# kubectl through Gatehouse to ${name}: the gateway holds the cluster's credential; this token is yours (a Gatehouse key or an OIDC access token).`,
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${q(id)}`,
    "  cluster:",
    `    server: ${q(`${base}/k8s/${encodeURIComponent(name)}`)}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${q(id)}`,
    "  user:",
    `    token: ${q(flags.token ?? TOKEN_PLACEHOLDER)}`,
    "contexts:",
    `- name: ${q(id)}`,
    "  context:",
    `    cluster: ${q(id)}`,
    `    user: ${q(id)}`,
    `current-context: ${q(id)}`,
  ];
  for (const line of lines) out(line);
}
