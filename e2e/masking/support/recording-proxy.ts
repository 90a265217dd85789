import net from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP hop between a real client and the gateway that keeps every byte the client receives,
 * so the masking oracle can check the wire itself, whatever the client library decodes.
 */
export type RecordingProxy = { port: number; received: () => Buffer; reset: () => void; close: () => Promise<void> };

export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
  let chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
    sockets.add(client).add(upstream);
    upstream.on("data", (d: Buffer) => chunks.push(Buffer.from(d)));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks),
    reset: () => void (chunks = []),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
