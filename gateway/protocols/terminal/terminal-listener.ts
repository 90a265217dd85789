import { WebSocketServer, type WebSocket } from "ws";
import type { GatewayDeps } from "../../gateway-deps";
import type { HttpRouter } from "../../http/router";
import { rejectUpgrade } from "../../http/router";
import { admit, auditRefusal } from "../../pipeline/admit";
import { openTerminalTicket, closeTerminalTicket, TERMINAL_MAX_MS } from "../../../core/terminal/terminal-tickets";
import { terminalOf } from "../../../core/connections/registry";
import { startTerminalSession } from "./terminal-session";
import { fail } from "./terminal-socket";

// Input a browser may send before its terminal is open (a paste while it starts); more closes it.
const EARLY_INPUT_LIMIT = 1 << 20;

export type TerminalRoute = { close: () => Promise<void> };

/**
 * The browser terminal, a WebSocket at /terminal on the gateway's HTTP port. The console issues a
 * one-time ticket; the terminal then runs a real client (psql, or an SSH shell) against this
 * gateway's own listeners as the person who opened it, so guardrails, reviews, masking, recording
 * and audit apply exactly as to any other client.
 */
export function mountTerminal(router: HttpRouter, deps: GatewayDeps, ports: { pg: number; ssh: number }): TerminalRoute {
  const consoleOrigin = new URL(deps.config.consoleUrl).origin;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const open = new Set<WebSocket>();
  router.mount("/terminal", "the browser terminal (a WebSocket, opened from the console)", {
    upgrade: (req, socket, head, rest) => {
      if (rest !== "") return rejectUpgrade(socket, "404 Not Found");
      // A page on another site must not drive a person's terminal (the ticket is a second guard).
      const origin = req.headers.origin;
      if (origin && origin !== consoleOrigin) return rejectUpgrade(socket, "403 Forbidden");
      const ticket = new URL(req.url ?? "/", "http://gateway").searchParams.get("ticket") ?? "";
      wss.handleUpgrade(req, socket, head, (ws) => {
        open.add(ws);
        // A broken frame (unmasked, reserved bits or opcodes, past the size limit) is reported here,
        // before any ticket is checked: without a listener it would be thrown out of the socket's data
        // handler and take the whole gateway down. It ends this socket only.
        ws.on("error", (err) => {
          deps.log(`terminal: ${req.socket.remoteAddress ?? "?"}: ${err.message}`);
          ws.terminate();
        });
        // What the browser sends while the terminal is still opening is kept for it, in order, up to a bound.
        const early: Array<[Buffer, boolean]> = [];
        let earlyBytes = 0;
        ws.on("message", (d: Buffer, binary: boolean) => {
          earlyBytes += d.length;
          if (earlyBytes > EARLY_INPUT_LIMIT) return fail(ws, "too much input before the terminal opened", 1009);
          early.push([d, binary]);
        });
        ws.once("close", () => open.delete(ws));
        void handle(ws, early, ticket, deps, ports, req.socket.remoteAddress ?? null).catch((err) => {
          deps.log(`terminal: ${(err as Error).stack ?? err}`);
          fail(ws, "the gateway could not open this terminal; try again");
        });
      });
    },
  });
  return {
    close: async () => {
      for (const ws of open) ws.close(1001, "the gateway is shutting down");
    },
  };
}

async function handle(ws: WebSocket, early: Array<[Buffer, boolean]>, ticket: string, deps: GatewayDeps, ports: { pg: number; ssh: number }, clientAddr: string | null): Promise<void> {
  const opened = await openTerminalTicket(deps.db, ticket);
  if (!opened) {
    auditRefusal(deps, { protocol: "terminal", clientAddr, connectionName: null }, null, "the browser terminal's ticket is not valid (unknown, already used, or expired)");
    return fail(ws, "This terminal link is not valid any more (it works once, within a minute of opening). Open the terminal again from the console.", 4401);
  }
  ws.once("close", () => void closeTerminalTicket(deps.db, opened.id).catch(() => {}));
  // The ticket proved the identity (the console checked the person); access is checked again here.
  const identity = { id: opened.identityId, name: opened.identityName, groups: opened.groups, source: "key" as const };
  const admitted = await admit(deps, { protocol: "terminal", clientAddr, connectionName: opened.connectionName, identity, serves: (type) => terminalOf(type) !== null });
  if (!admitted.ok) {
    if (admitted.refusal.reason !== "forbidden") return fail(ws, `The terminal could not be opened: ${admitted.refusal.message}.`, 4503);
    return fail(ws, `Connection "${opened.connectionName}" does not exist, has no terminal, or you are not allowed to use it.`, 4403);
  }
  const runs = terminalOf(admitted.admission.connection.type)!;
  await startTerminalSession(ws, early, deps, admitted.admission, {
    ...opened,
    runs,
    clientAddr,
    ports,
    host: deps.config.bind === "0.0.0.0" || deps.config.bind === "::" ? "127.0.0.1" : deps.config.bind,
    maxLifetime: { ms: TERMINAL_MAX_MS, reason: `the browser terminal reached its ${TERMINAL_MAX_MS / 3_600_000}-hour limit` },
  });
}
