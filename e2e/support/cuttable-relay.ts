import net from "node:net";

export type CuttableRelay = {
  port: number;
  /** Connections relayed so far. */
  connections: () => number;
  /** Destroys every relayed connection at both ends, as a network failure between gateway and target would. */
  cut: () => void;
  close: () => Promise<void>;
};

/** A TCP relay on 127.0.0.1 to `targetPort`: a connection pointed at it reaches the target until cut. */
export async function startCuttableRelay(targetPort: number): Promise<CuttableRelay> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((client) => {
    count++;
    const target = net.connect(targetPort, "127.0.0.1");
    for (const s of [client, target]) {
      sockets.add(s);
      s.on("error", () => {});
      s.once("close", () => sockets.delete(s));
    }
    client.pipe(target).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
