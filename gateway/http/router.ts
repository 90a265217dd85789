import http from "node:http";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import type { AddressInfo, Socket } from "node:net";
import { holdContinue } from "./request-body";

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse, rest: string) => void;
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer, rest: string) => void;

type Route = { prefix: string; what: string; request?: RequestHandler; upgrade?: UpgradeHandler; continueOnRead?: boolean };

/**
 * The gateway's one HTTP port (GATEHOUSE_HTTP_PORT): protocols mount their routes on it by path
 * prefix (today `/terminal`, the browser terminal's WebSocket; next the HTTP proxy `/proxy/...`,
 * the Kubernetes proxy `/k8s/...` and `/mcp`). The longest matching prefix wins; anything else
 * gets a 404 that lists what is served here.
 */
export class HttpRouter {
  private readonly routes: Route[] = [];
  readonly server = http.createServer((req, res) => this.onRequest(req, res));
  // Every accepted socket (the TLS sniffing below keeps some out of the HTTP server's own view), for close().
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server.on("upgrade", (req, socket, head) => this.onUpgrade(req, socket, head));
    // CONNECT (a client given the gateway as its HTTPS_PROXY): a status it can show, where Node would close without a word.
    this.server.on("connect", (_req, socket: Duplex) => socket.end(NOT_A_FORWARD_PROXY(this.servedList())));
    // Expect: 100-continue. Node would answer 100 at once; a route may send it only when it reads the body (see holdContinue).
    this.server.on("checkContinue", (req, res) => this.onRequest(req, res, true));
    this.server.on("clientError", (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex & { bytesWritten?: number }) => {
      // An HTTP/2 client with prior knowledge (curl --http2-prior-knowledge) is told, in HTTP/2, to use HTTP/1.1.
      if (err.rawPacket?.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) return void socket.end(HTTP_1_1_REQUIRED);
      // Anything else as Node answers without a listener: a status when nothing was sent yet, then the socket goes.
      if (socket.writable && !socket.bytesWritten) socket.write(`HTTP/1.1 ${CLIENT_ERROR_STATUS[err.code ?? ""] ?? "400 Bad Request"}\r\nConnection: close\r\n\r\n`);
      socket.destroy(err);
    });
  }

  /**
   * Mounts `prefix` (`/terminal`, `/proxy/`...): `what` is the line the 404 page shows for it.
   * `continueOnRead`: a client that expects `100 Continue` gets it when the route first reads the
   * body through request-body.ts (readBodyUpTo, or forward), not before the request is admitted.
   */
  mount(prefix: string, what: string, handlers: { request?: RequestHandler; upgrade?: UpgradeHandler; continueOnRead?: boolean }): void {
    if (this.routes.some((r) => r.prefix === prefix)) throw new Error(`the HTTP route ${prefix} is mounted twice`);
    this.routes.push({ prefix, what, ...handlers });
    this.routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /**
   * Listens; with a TLS context the port speaks both: a connection whose first byte is a TLS
   * handshake (0x16) is served over TLS with the gateway's certificate, any other as plain HTTP
   * (so `https://` and `wss://` work beside `http://` on the one port).
   */
  async listen(port: number, host: string, secureContext?: tls.SecureContext): Promise<number> {
    if (secureContext) this.serveTlsToo(secureContext);
    this.server.prependListener("connection", (socket: Socket) => {
      // A socket given back to the server (an h2c request answered in HTTP/1.1) is already known.
      if (this.sockets.has(socket)) return;
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private serveTlsToo(secureContext: tls.SecureContext): void {
    const listeners = this.server.listeners("connection") as Array<(socket: Duplex) => void>;
    this.server.removeAllListeners("connection");
    const serve = (socket: Duplex) => {
      for (const l of listeners) l.call(this.server, socket);
    };
    this.server.on("connection", (socket: Socket) => {
      // Nothing sent within the server's header timeout: dropped, as the HTTP parser would.
      const idle = setTimeout(() => socket.destroy(), this.server.headersTimeout || 60_000);
      socket.once("error", () => clearTimeout(idle));
      socket.once("close", () => clearTimeout(idle));
      socket.once("data", (first: Buffer) => {
        clearTimeout(idle);
        socket.pause();
        socket.unshift(first);
        if (first[0] === 0x16) serve(new tls.TLSSocket(socket, { isServer: true, secureContext }));
        else serve(socket);
        process.nextTick(() => socket.resume());
      });
    });
  }

  /**
   * Stops listening and ends the connections: idle ones at once, the rest (a response still
   * streaming, a socket that never sent a byte) after a second's grace, so that a shutdown never
   * waits on a client.
   */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const grace = setTimeout(() => {
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    }, 1000);
    grace.unref();
    return closed.finally(() => clearTimeout(grace));
  }

  private match(url: string | undefined): { route: Route; rest: string } | null | "bad-target" {
    const path = pathOf(url ?? "/");
    if (path === null) return "bad-target";
    for (const route of this.routes) {
      if (path === route.prefix || path.startsWith(route.prefix.endsWith("/") ? route.prefix : `${route.prefix}/`)) return { route, rest: path.slice(route.prefix.length) };
    }
    return null;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue = false): void {
    const m = this.match(req.url);
    // A request answered here (a bad target, nothing mounted) gets its final status instead of 100.
    if (expectsContinue && m !== "bad-target" && m?.route.request) {
      if (m.route.continueOnRead) holdContinue(req, res);
      else res.writeContinue();
    }
    if (m === "bad-target") return void res.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" }).end(BAD_TARGET);
    if (m?.route.request) return m.route.request(req, res, m.rest);
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`Gatehouse gateway: nothing is served at this address. Served here:\n${this.servedList()}\n`);
  }

  private servedList(): string {
    return this.routes.map((r) => `  ${r.prefix}  ${r.what}`).join("\n");
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (onlyH2c(req)) return this.serveAsHttp1(req, socket, head);
    const m = this.match(req.url);
    if (m === "bad-target") return rejectUpgrade(socket, "400 Bad Request");
    if (m?.route.upgrade) return m.route.upgrade(req, socket, head, m.rest);
    rejectUpgrade(socket, "404 Not Found");
  }

  /**
   * A request asking to upgrade to cleartext HTTP/2 (`Upgrade: h2c`: Java's HttpClient sends it on
   * every http:// request, curl with --http2) is answered in HTTP/1.1, as a server that does not
   * speak h2c must (RFC 9110 7.8): Node has already handed the socket over as upgraded, so the
   * request's head is written again without the upgrade and the socket given back to the server,
   * which parses it as a new connection (keep-alive goes on from there).
   */
  private serveAsHttp1(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      const lower = name.toLowerCase();
      if (lower === "upgrade" || lower === "http2-settings") continue;
      if (lower === "connection") {
        const kept = value
          .split(",")
          .map((t) => t.trim())
          .filter((t) => t && !/^(upgrade|http2-settings)$/i.test(t));
        if (kept.length > 0) lines.push(`${name}: ${kept.join(", ")}`);
        continue;
      }
      lines.push(`${name}: ${value}`);
    }
    socket.unshift(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), head]));
    this.server.emit("connection", socket);
  }
}

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** HTTP/2 frames: an empty SETTINGS, then GOAWAY with HTTP_1_1_REQUIRED (0xd, RFC 9113 7) and why. */
const HTTP_1_1_REQUIRED = (() => {
  const why = Buffer.from("Gatehouse speaks HTTP/1.1 (and h2c upgrades are answered in HTTP/1.1)");
  const frame = (type: number, payload: Buffer) => Buffer.concat([Buffer.from([payload.length >> 16, (payload.length >> 8) & 255, payload.length & 255, type, 0, 0, 0, 0, 0]), payload]);
  const goaway = Buffer.alloc(8);
  goaway.writeUInt32BE(0x0d, 4);
  return Buffer.concat([frame(0x4, Buffer.alloc(0)), frame(0x7, Buffer.concat([goaway, why]))]);
})();

/**
 * A path of characters the URL parser keeps as they are (no percent sign, no dot segment, not
 * starting `//`): WHATWG URL's pathname would be the same string, so it is taken without parsing.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-_~.!$&'()*+,;=:@/]*(?=\?|$)/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

const BAD_TARGET = "Gatehouse gateway: the request target is not a URL path (send /proxy/<connection>/<path>, with any % written as %25)\n";

/**
 * The request target's path as `new URL(target, base).pathname` reads it (dot segments resolved,
 * characters escaped); null when it does not parse (`//%` reads as an authority with a bad host).
 */
export function pathOf(target: string): string | null {
  const plain = PLAIN_PATH.exec(target)?.[0];
  if (plain !== undefined && !DOT_SEGMENT.test(plain)) return plain;
  try {
    return new URL(target, "http://gateway").pathname;
  } catch {
    return null;
  }
}

/** Whether a request's Upgrade header asks for cleartext HTTP/2 and nothing else. */
function onlyH2c(req: http.IncomingMessage): boolean {
  const tokens = String(req.headers.upgrade ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  return tokens.length > 0 && tokens.every((t) => t === "h2c");
}

/** Refuses a WebSocket (or other) upgrade with a bare HTTP status. */
const NOT_A_FORWARD_PROXY = (served: string): string => {
  const body = `Gatehouse gateway: not a forward proxy, so CONNECT is not served. Call an HTTP API through the gateway at /proxy/<connection>/<path> on this port (its base URL changed to http(s)://<gateway>/proxy/<connection>), with Authorization: Bearer <Gatehouse key or token>. Served here:\n${served}\n`;
  return `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
};

export function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
}
