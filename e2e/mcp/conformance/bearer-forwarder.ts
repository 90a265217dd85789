import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Stands in for an MCP client's configured headers: forwards every request to `target` with
 * `Authorization: Bearer <credential>` added, everything else as received (method, path, Host,
 * Origin, body; responses streamed back). The official conformance suite's client (0.1.16) sends
 * no Authorization header and has no option or variable to add one; this is the test's way in,
 * not a product mode: the gateway still refuses every request without a valid credential.
 */
export async function startBearerForwarder(target: { host: string; port: number }, credential: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${credential}` } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
    res.once("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
