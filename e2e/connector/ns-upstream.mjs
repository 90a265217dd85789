// An HTTP API inside the test's network namespace (e2e/connector): answers only with the injected
// credential, and says whom it saw. Started with `ip netns exec <ns> node ns-upstream.mjs <port>`.
import http from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2]);
const wss = new WebSocketServer({ noServer: true });
http
  .createServer((req, res) => {
    if (req.headers["x-api-key"] !== "upstream-secret") return void res.writeHead(401).end("wrong credential");
    const leaked = JSON.stringify(req.headers).includes("ghk_");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: req.url, leaked, email: "ann.smith@example.com" }));
  })
  .on("upgrade", (req, socket, head) => {
    if (req.headers["x-api-key"] !== "upstream-secret") return void socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n");
    // A WebSocket echo: what the client sends comes back upper-cased.
    wss.handleUpgrade(req, socket, head, (ws) => ws.on("message", (d) => ws.send(String(d).toUpperCase())));
  })
  .listen(port, "127.0.0.1", () => console.log("listening"));
