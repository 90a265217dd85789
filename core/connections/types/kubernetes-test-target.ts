import type { TestResult } from "../connection-type";
import { describeConnectError } from "../connect-error";
import type { KubernetesSecret, KubernetesSettings } from "./kubernetes";
import { redactSecret } from "./http-credential";

const TIMEOUT_MS = 5000;

/** Test connection: `GET /version` with the connection's credential and TLS settings; the API server's gitVersion when it answers. */
export async function testKubernetesTarget(s: KubernetesSettings, secret: KubernetesSecret): Promise<TestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const forms = secret.token ? [secret.token] : [];
  // Node-only, and this module is also in the browser's form: loaded when a test runs, on the server.
  const https = await import(/* webpackIgnore: true */ "node:https");
  const url = new URL(s.server.replace(/\/+$/, "") + "/version");
  try {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(url, {
        method: "GET",
        headers: { accept: "application/json", "user-agent": "gatehouse-console-test", ...(secret.token ? { authorization: `Bearer ${secret.token}` } : {}) },
        rejectUnauthorized: s.tlsVerify,
        ca: s.caBundle || undefined,
        cert: s.clientCert || undefined,
        key: secret.clientKey || undefined,
        timeout: TIMEOUT_MS,
      });
      req.once("timeout", () => req.destroy(new Error(`timeout: no answer within ${TIMEOUT_MS / 1000} s`)));
      req.once("error", reject);
      req.once("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d.slice(0, 4096)));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.end();
    });
    if (status === 401 || status === 403) return { ok: false, error: `the API server refused the credential (HTTP ${status})`, ms: ms() };
    if (status !== 200) return { ok: false, error: `the API server answered HTTP ${status}`, ms: ms() };
    let version = "unknown version";
    try {
      version = String((JSON.parse(body) as { gitVersion?: string }).gitVersion ?? version);
    } catch {
      // not JSON: said below
    }
    return { ok: true, serverVersion: `Kubernetes ${redactSecret(version, forms)}`, ms: ms() };
  } catch (err) {
    return { ok: false, error: redactSecret(describeConnectError(err, forms), forms), ms: ms() };
  }
}
