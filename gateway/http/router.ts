import http from "node:http";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import type { AddressInfo, Socket } from "node:net";

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse, rest: string) => void;
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer, rest: string) => void;

type Route = { prefix: string; what: string; request?: RequestHandler; upgrade?: UpgradeHandler };

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
  }

  /** Mounts `prefix` (`/terminal`, `/proxy/`...): `what` is the line the 404 page shows for it. */
  mount(prefix: string, what: string, handlers: { request?: RequestHandler; upgrade?: UpgradeHandler }): void {
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

  private match(url: string | undefined): { route: Route; rest: string } | null {
    const path = new URL(url ?? "/", "http://gateway").pathname;
    for (const route of this.routes) {
      if (path === route.prefix || path.startsWith(route.prefix.endsWith("/") ? route.prefix : `${route.prefix}/`)) return { route, rest: path.slice(route.prefix.length) };
    }
    return null;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const m = this.match(req.url);
    if (m?.route.request) return m.route.request(req, res, m.rest);
    const served = this.routes.map((r) => `  ${r.prefix}  ${r.what}`).join("\n");
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`Gatehouse gateway: nothing is served at this address. Served here:\n${served}\n`);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const m = this.match(req.url);
    if (m?.route.upgrade) return m.route.upgrade(req, socket, head, m.rest);
    rejectUpgrade(socket, "404 Not Found");
  }
}

/** Refuses a WebSocket (or other) upgrade with a bare HTTP status. */
export function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
}
