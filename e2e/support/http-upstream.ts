import http from "node:http";
import zlib from "node:zlib";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { routeOpenAiStyle } from "./openai-style-upstream";

/**
 * A real upstream HTTP API for the HTTP proxy's tests, on a free port. It checks every request for
 * the credential the gateway must inject (`expected`, a header value) and for anything that looks
 * like a Gatehouse key (`ghk_`) anywhere in the request line or headers: a request without the
 * credential is answered 401, and every Gatehouse key it saw is kept in `leaks` for the test to assert on.
 */
export type HttpUpstream = {
  port: number;
  url: string;
  /** Requests received: method, URL and headers, in order. */
  seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  /** Request lines or headers that carried a Gatehouse key. */
  leaks: string[];
  /** Requests answered 401 for a missing or wrong credential. */
  unauthorised: number;
  stop: () => Promise<void>;
};

export const CUSTOMERS = [
  { id: 1, name: "Ann Smith", email: "ann.smith@example.com", card: "4111 1111 1111 1111", balance: 1.5 },
  { id: 2, name: "Bob Jones", email: "bob@example.org", card: "5500 0000 0000 0004", balance: 0.1 },
];

export async function startHttpUpstream(opts: { check: (req: http.IncomingMessage) => boolean }): Promise<HttpUpstream> {
  const seen: HttpUpstream["seen"] = [];
  const leaks: string[] = [];
  let unauthorised = 0;
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const raw = `${req.method} ${req.url}\n${req.rawHeaders.join("\n")}`;
    if (raw.includes("ghk_")) leaks.push(raw);
    if (!opts.check(req)) {
      unauthorised++;
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "wrong credential" }));
      return;
    }
    // A request abandoned mid-body (the gateway's client went away) ends here, not as an unhandled rejection.
    route(req, res, `http://127.0.0.1:${(server.address() as AddressInfo).port}`).catch(() => res.destroy());
  });
  // WebSocket at /ws: greets with the credential it was sent (the gateway must cut it out), then echoes.
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const raw = `${req.method} ${req.url}\n${req.rawHeaders.join("\n")}`;
    if (raw.includes("ghk_")) leaks.push(raw);
    if (!opts.check(req) || !(req.url ?? "").startsWith("/ws")) {
      unauthorised++;
      return void socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ hello: true, authorization: req.headers.authorization ?? null, extensions: req.headers["sec-websocket-extensions"] ?? null }));
      ws.on("message", (d, binary) => ws.send(d, { binary }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => (sockets.add(s), s.once("close", () => sockets.delete(s))));
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    leaks,
    get unauthorised() {
      return unauthorised;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": b.length, ...headers }).end(b);
};

async function route(req: http.IncomingMessage, res: http.ServerResponse, self: string): Promise<void> {
  const url = new URL(req.url ?? "/", "http://upstream");
  const p = url.pathname;
  const n = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
  if (p.startsWith("/echo/")) return json(res, 200, { value: decodeURIComponent(p.slice(6)) });
  if (p === "/headers") return json(res, 200, { headers: req.headers, url: req.url });
  if (p === "/customer-export") {
    // Personal data in response headers: where the export went, and under what name it downloads.
    const c = CUSTOMERS[0];
    res.writeHead(303, { location: `/customers?email=${c.email}`, "content-disposition": `attachment; filename="${c.email}.json"`, "x-customer-card": c.card, "content-length": 0 }).end();
    return;
  }
  if (p === "/customers") {
    // Written by hand: an id no JavaScript number holds exactly, which masking must not touch.
    const b = Buffer.from(`{"customers": ${JSON.stringify(CUSTOMERS)}, "count": ${CUSTOMERS.length}, "cursor": 12345678901234567890}`);
    // Byte ranges, as a static file server or an object store answers them.
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
    if (range) {
      const from = Number(range[1]);
      const to = Math.min(range[2] ? Number(range[2]) : b.length - 1, b.length - 1);
      const part = b.subarray(from, to + 1);
      res.writeHead(206, { "content-type": "application/json; charset=utf-8", "content-length": part.length, "content-range": `bytes ${from}-${to}/${b.length}` }).end(part);
      return;
    }
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": b.length, "accept-ranges": "bytes" }).end(b);
    return;
  }
  if (p === "/customers-as") {
    // The same JSON under another declared type (?type=none: no Content-Type at all), as some APIs serve it.
    const type = url.searchParams.get("type") ?? "text/plain";
    // ?shape=lines: one document a customer, a line each (JSON lines; ?shape=seq: each after a record separator, RFC 7464); ?shape=nan: a NaN score as Python's json writes it;
    // ?shape=comment: a comment before the document (not JSON).
    const shape = url.searchParams.get("shape");
    const doc =
      shape === "lines" || shape === "seq"
        ? CUSTOMERS.map((c) => (shape === "seq" ? "\x1e" : "") + JSON.stringify({ customers: [c] })).join("\n") + "\n"
        : shape === "nan"
          ? JSON.stringify({ customers: CUSTOMERS.map((c) => ({ score: 0, ...c })) }).replaceAll('"score":0', '"score":NaN')
          : (shape === "comment" ? "/* page 1 */ " : "") + JSON.stringify({ customers: CUSTOMERS });
    const json = (url.searchParams.get("bom") ? "\uFEFF" : "") + doc;
    const b = Buffer.from(json, url.searchParams.get("encoding") === "utf16le" ? "utf16le" : "utf8");
    res.writeHead(200, { ...(type === "none" ? {} : { "content-type": type }), "content-length": b.length }).end(b);
    return;
  }
  if (p === "/customers.te-gz") {
    // Compressed as a transfer coding (gzip, then chunked): the receiving HTTP/1.1 stack removes only the chunking.
    res.setHeader("content-type", "application/json");
    res.setHeader("transfer-encoding", "gzip, chunked");
    res.end(zlib.gzipSync(JSON.stringify({ customers: CUSTOMERS })));
    return;
  }
  if (p === "/customers.gz") {
    const b = zlib.gzipSync(JSON.stringify({ customers: CUSTOMERS }));
    res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": b.length }).end(b);
    return;
  }
  if (p === "/customers.txt") {
    res.writeHead(200, { "content-type": "text/plain" });
    for (const c of CUSTOMERS) res.write(`${c.name} <${c.email}> ${c.card}\n`);
    res.end();
    return;
  }
  if (p === "/large") {
    // Deterministic bytes in 64 KiB chunks, written with backpressure.
    const total = n("bytes", 1 << 20);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
    const block = Buffer.alloc(65536, "abcdefghijklmnopqrstuvwxyz0123456789");
    let sent = 0;
    const more = () => {
      while (sent < total) {
        const c = block.subarray(0, Math.min(block.length, total - sent));
        sent += c.length;
        if (!res.write(c)) return void res.once("drain", more);
      }
      res.end();
    };
    return more();
  }
  if (p === "/large.json") {
    const rows = Array.from({ length: n("rows", 1000) }, (_, i) => ({ id: i, email: `user${i}@example.com`, note: `row ${i}` }));
    return json(res, 200, { rows });
  }
  if (p === "/chunked") {
    res.writeHead(200, { "content-type": "text/plain" });
    let i = 0;
    const t = setInterval(() => {
      res.write(`line ${i} contact carol${i}@example.net\n`);
      if (++i < 5) return;
      clearInterval(t);
      res.end();
    }, 30);
    return;
  }
  if (p === "/sse") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    let i = 0;
    const t = setInterval(
      () => {
        res.write(`id: ${i}\ndata: {"n":${i},"email":"dave${i}@example.com","at":${Date.now()}}\n\n`);
        if (++i < n("events", 3)) return;
        clearInterval(t);
        res.end();
      },
      n("every", 200),
    );
    req.once("close", () => clearInterval(t));
    return;
  }
  if (p === "/redirect") return void res.writeHead(302, { location: `${self}/echo/redirected?x=1` }).end();
  if (p === "/redirect-away") return void res.writeHead(302, { location: "https://elsewhere.example/landing" }).end();
  if (p === "/cut-short") {
    // Declares 1,000 bytes, sends 40, then the connection drops (an upstream that dies mid-answer).
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('{"partial": "the rest never comes",     ');
    return void setTimeout(() => res.socket?.destroy(), 50);
  }
  if (p === "/slow") {
    const t = setTimeout(() => json(res, 200, { slow: true }), n("ms", 60_000));
    req.once("close", () => clearTimeout(t));
    return;
  }
  if (p === "/upload") {
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const c of req) {
      hash.update(c as Buffer);
      bytes += (c as Buffer).length;
    }
    return json(res, 200, { bytes, sha256: hash.digest("hex"), contentType: req.headers["content-type"] ?? null });
  }
  if (p.startsWith("/oai/") && (await routeOpenAiStyle(req, res, p))) return;
  if (p.startsWith("/v1/")) {
    let body = "";
    for await (const c of req) body += c;
    return json(res, 200, { method: req.method, path: p, body: body || null });
  }
  json(res, 404, { error: "not found", path: p });
}
