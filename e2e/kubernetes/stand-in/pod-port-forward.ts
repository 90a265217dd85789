import net from "node:net";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createWebSocketStream, WebSocketServer, type WebSocket } from "ws";
import { serveSpdy, type SpdyStream } from "./spdy-session";

const WS_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
const OFFERED = "spdy-portforward";
/** The kubelet's older WebSocket port-forward (what @kubernetes/client-node speaks): channels, not SPDY. */
const CHANNEL_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/**
 * One forwarded connection over the channel protocol: channel 0 is the data and 1 the errors of the
 * first port, each opened by the server with the port number (2 bytes, little-endian).
 */
function channels(ws: WebSocket, port: number): void {
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16LE(port);
  ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
  ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
  const tcp = net.connect(port, "127.0.0.1");
  tcp.on("data", (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
  tcp.once("error", (err) => ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`error forwarding port ${port}: ${err.message}`)])));
  tcp.once("close", () => ws.close(1000));
  ws.on("message", (m: Buffer) => {
    if (m[0] === 0) tcp.write(m.subarray(1));
    else if (m[0] === 255 && m[1] === 0) tcp.end();
  });
  ws.once("close", () => tcp.destroy());
}

/**
 * The stand-in's `kubectl port-forward` (part of the stand-in API server: no real one runs here).
 * kubectl 1.35 tunnels SPDY/3.1 in a WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`) and falls
 * back to a SPDY upgrade; both are served. Per forwarded connection the client opens an error stream
 * and a data stream (headers `streamType`, `port`, `requestID`); the data stream is joined to a real
 * TCP connection to that port on this machine's loopback (the pod's network, here), and the error
 * stream carries a failure to connect, then ends when the forward does, as the kubelet's does. The
 * kubelet's older channel protocol (`v4.channel.k8s.io`, `?ports=`) is served too, for client-node.
 */
export function podPortForward(): { handle: (req: IncomingMessage, socket: Duplex, head: Buffer, pod: string) => void; close: () => void } {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(OFFERED) ? WS_PROTOCOL : (CHANNEL_PROTOCOLS.find((p) => offered.has(p)) ?? false)) });
  const open = new Set<Duplex>();
  const serve = (wire: Duplex, pod: string) => {
    open.add(wire);
    wire.once("close", () => open.delete(wire));
    wire.on("error", () => {});
    const errors = new Map<string, SpdyStream>();
    serveSpdy(wire, (stream) => {
      const { streamtype: type, port, requestid: id } = stream.headers;
      if (type === "error") return void errors.set(id, stream);
      if (type !== "data") return stream.end();
      const tcp = net.connect(Number(port), "127.0.0.1");
      const done = (message?: string) => {
        const error = errors.get(id);
        errors.delete(id);
        if (message) error?.write(message);
        error?.end();
      };
      tcp.on("data", (d: Buffer) => stream.write(d));
      tcp.once("end", () => stream.end());
      tcp.once("error", (err) => done(`error forwarding port ${port} to pod ${pod}: ${err.message}`));
      tcp.once("close", () => (stream.end(), done()));
      stream.onData((d) => tcp.write(d));
      stream.onEnd(() => tcp.end());
    });
  };
  return {
    handle: (req, socket, head, pod) => {
      if (String(req.headers.upgrade).toLowerCase() === "websocket") {
        // ws refuses a `/` in an offered subprotocol (RFC 6455 asks for a token) and Kubernetes' name
        // has one: the offer is read here, and ws answers with the name as Kubernetes spells it.
        const offered = String(req.headers["sec-websocket-protocol"] ?? "")
          .split(",")
          .map((p) => p.trim());
        if (offered.includes(WS_PROTOCOL)) req.headers["sec-websocket-protocol"] = OFFERED;
        const port = Number(new URL(req.url ?? "/", "https://x").searchParams.get("ports"));
        return wss.handleUpgrade(req, socket, head, (ws) => (ws.protocol === WS_PROTOCOL ? serve(createWebSocketStream(ws), pod) : channels(ws, port)));
      }
      if (!/^spdy\/3\.1$/i.test(String(req.headers.upgrade))) return socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n");
      if (head.length) socket.unshift(head);
      serve(socket, pod);
    },
    close: () => {
      for (const w of open) w.destroy();
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
