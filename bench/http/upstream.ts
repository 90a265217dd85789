/** The benchmark's upstream, in its own process: `/small` (a JSON document of about 100 bytes) and `/large` (1 MiB of JSON rows with personal data). */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { benchBodies } from "./bodies";

const { small, large } = benchBodies();
const server = http.createServer((req, res) => {
  const body = req.url?.startsWith("/large") ? large : small;
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`upstream listening on ${(server.address() as AddressInfo).port}`));
