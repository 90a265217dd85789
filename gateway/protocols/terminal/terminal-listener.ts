import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { GatewayDeps } from "../../gateway-deps";
import { openTerminalTicket, closeTerminalTicket } from "../../../core/terminal/terminal-tickets";
import { resolveConnection } from "../../../core/access/resolve-connection";
import { startTerminalSession } from "./terminal-session";

export type TerminalListener = { port: number; close: () => Promise<void> };

/**
 * The gateway's HTTP port: for now the browser terminal, a WebSocket at /terminal. The console
 * issues a one-time ticket; the terminal then runs a real client (psql, or an SSH shell) against
 * this gateway's own listeners as the person who opened it, so guardrails, reviews, masking,
 * recording and audit apply exactly as to any other client.
 */
export async function startTerminalListener(deps: GatewayDeps, ports: { pg: number; ssh: number }): Promise<TerminalListener> {
  const consoleOrigin = new URL(deps.config.consoleUrl).origin;
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { "content-type": "text/plain" }).end("Gatehouse gateway: the browser terminal is a WebSocket at /terminal, opened from the console.\n");
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const open = new Set<WebSocket>();
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://gateway");
    const reject = (status: string) => socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    if (url.pathname !== "/terminal") return reject("404 Not Found");
    // A page on another site must not drive a person's terminal (the ticket is a second guard).
    const origin = req.headers.origin;
    if (origin && origin !== consoleOrigin) return reject("403 Forbidden");
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.add(ws);
      // What the browser sends while the terminal is still opening is kept for it, in order.
      const early: Array<[Buffer, boolean]> = [];
      ws.on("message", (d: Buffer, binary: boolean) => early.push([d, binary]));
      ws.once("close", () => open.delete(ws));
      void handle(ws, early, url.searchParams.get("ticket") ?? "", deps, ports, req.socket.remoteAddress ?? null).catch((err) => {
        deps.log(`terminal: ${(err as Error).stack ?? err}`);
        fail(ws, "the gateway could not open this terminal; try again");
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.config.ports.http, deps.config.bind, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of open) ws.close(1001, "the gateway is shutting down");
        server.close(() => resolve());
      }),
  };
}

export function fail(ws: WebSocket, message: string, code = 4400): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "error", message }));
  ws.close(code, message.slice(0, 120));
}

async function handle(ws: WebSocket, early: Array<[Buffer, boolean]>, ticket: string, deps: GatewayDeps, ports: { pg: number; ssh: number }, clientAddr: string | null): Promise<void> {
  const opened = await openTerminalTicket(deps.db, ticket);
  if (!opened) return fail(ws, "This terminal link is not valid any more (it works once, within a minute of opening). Open the terminal again from the console.", 4401);
  ws.once("close", () => void closeTerminalTicket(deps.db, opened.id).catch(() => {}));
  const identity = { id: opened.identityId, name: opened.identityName, groups: opened.groups, source: "key" as const };
  const connection = await resolveConnection(deps.db, deps.box, identity, opened.connectionName);
  if (!connection || (connection.type !== "postgres" && connection.type !== "ssh")) {
    deps.audit.write({ at: new Date(), action: "session.denied", outcome: "denied", protocol: "terminal", clientAddr, connectionName: opened.connectionName, identityId: identity.id, identityName: identity.name, groups: identity.groups, message: "browser terminal: no access" });
    return fail(ws, `Connection "${opened.connectionName}" does not exist, has no terminal, or you are not allowed to use it.`, 4403);
  }
  await startTerminalSession(ws, early, deps, { ...opened, connection, clientAddr, host: deps.config.bind === "0.0.0.0" || deps.config.bind === "::" ? "127.0.0.1" : deps.config.bind, ports });
}
