import type { WebSocket } from "ws";

/** Tells the browser why the terminal closes (a JSON `error` message), then closes with `code`. */
export function fail(ws: WebSocket, message: string, code = 4400): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "error", message }));
  ws.close(code, message.slice(0, 120));
}
