/** A bare Node reverse proxy in its own process (keep-alive agent, piping both ways, nothing inspected): what Node costs as a transport. */
import http from "node:http";
import type { AddressInfo } from "node:net";

const target = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const up = http.request({ host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${target}` }, agent }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on("error", () => res.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`bare proxy listening on ${(server.address() as AddressInfo).port}`));
// Exits on SIGTERM rather than dying of it, so that a --cpu-prof profile is written (BENCH_GATEWAY_PROFILE).
process.on("SIGTERM", () => process.exit(0));
