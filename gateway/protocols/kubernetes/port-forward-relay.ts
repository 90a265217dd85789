import type { Duplex } from "node:stream";
import type { Upgraded } from "./pod-upgrade";

/**
 * `kubectl port-forward` once the API server has switched protocols (SPDY/3.1 tunnelled in a
 * WebSocket, `SPDY/3.1+portforward.k8s.io`, or a plain SPDY upgrade): the bytes are the pod's TCP
 * traffic, relayed as they are in both directions with backpressure (not recorded: they are not a
 * terminal), counted, and audited when the forward ends. A kill cuts both sides.
 */
export function relayPortForward(socket: Duplex, head: Buffer, up: Upgraded): void {
  const { upSocket, upHead } = up;
  let bytesIn = head.length;
  let bytesOut = upHead.length;
  let ending: string | null = null;
  let broken = false;
  if (head.length) upSocket.write(head);
  if (upHead.length) socket.write(upHead);
  socket.on("data", (d: Buffer) => (bytesIn += d.length));
  upSocket.on("data", (d: Buffer) => (bytesOut += d.length));
  socket.pipe(upSocket);
  upSocket.pipe(socket);
  up.onEnd((reason) => {
    ending = reason;
    socket.destroy();
    upSocket.destroy();
  });
  upSocket.on("error", () => ((broken = true), socket.destroy()));
  socket.on("error", () => upSocket.destroy());
  socket.once("close", () => upSocket.destroy());
  upSocket.once("close", () => socket.destroy());
  socket.once("close", () =>
    up.audit(
      broken ? "error" : "ok",
      ending !== null ? `ended by Gatehouse: ${ending}` : broken ? "the API server's side broke off" : `port-forward ended: ${bytesIn} bytes in, ${bytesOut} bytes out`,
      bytesIn,
      bytesOut,
    ),
  );
}
