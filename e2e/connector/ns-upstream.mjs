// An HTTP API inside the test's network namespace (e2e/connector): answers only with the injected
// credential, and says whom it saw. Started with `ip netns exec <ns> node ns-upstream.mjs <port>`.
import http from "node:http";

const port = Number(process.argv[2]);
http
  .createServer((req, res) => {
    if (req.headers["x-api-key"] !== "upstream-secret") return void res.writeHead(401).end("wrong credential");
    const leaked = JSON.stringify(req.headers).includes("ghk_");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: req.url, leaked, email: "ann.smith@example.com" }));
  })
  .listen(port, "127.0.0.1", () => console.log("listening"));
