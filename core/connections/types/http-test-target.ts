import type { TestResult } from "../connection-type";
import { describeConnectError } from "../connect-error";
import type { HttpSettings } from "./http";
import { injectedCredential, parseExtraHeaders, redactSecret } from "./http-credential";

const TIMEOUT_MS = 5000;

/**
 * Test connection: a real `GET <base URL>` with the credential injected as the gateway injects it,
 * with its TLS settings. Any answer but 401/403 or a 5xx counts as reachable; the upstream's words
 * are shown with the secret cut out.
 */
export async function testHttpTarget(s: HttpSettings, secret: string | undefined): Promise<TestResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const cred = injectedCredential(s, secret);
  // Node-only, and this module is also in the browser's form: loaded when a test runs, on the server.
  const url = new URL(s.baseUrl);
  const lib = url.protocol === "https:" ? await import(/* webpackIgnore: true */ "node:https") : await import(/* webpackIgnore: true */ "node:http");
  if (cred.query) url.searchParams.set(cred.query[0], cred.query[1]);
  try {
    const { status, server } = await new Promise<{ status: number; server: string }>((resolve, reject) => {
      const req = lib.request(url, {
        method: "GET",
        headers: { ...Object.fromEntries(parseExtraHeaders(s.extraHeaders ?? "").map(([k, v]) => [k.toLowerCase(), v])), ...cred.headers, "user-agent": "gatehouse-console-test" },
        rejectUnauthorized: s.tlsVerify,
        ca: s.caBundle || undefined,
        timeout: TIMEOUT_MS,
      });
      req.once("timeout", () => req.destroy(new Error(`timeout: no answer within ${TIMEOUT_MS / 1000} s`)));
      req.once("error", reject);
      req.once("response", (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, server: String(res.headers.server ?? "") });
      });
      req.end();
    });
    if (status === 401 || status === 403) return { ok: false, error: `the upstream refused the credential (HTTP ${status})`, ms: ms() };
    if (status >= 500) return { ok: false, error: `the upstream answered HTTP ${status}`, ms: ms() };
    return { ok: true, serverVersion: `HTTP ${status}${server ? ` (${redactSecret(server, cred.forms)})` : ""}`, ms: ms() };
  } catch (err) {
    return { ok: false, error: redactSecret(describeConnectError(err, cred.forms), cred.forms), ms: ms() };
  }
}
