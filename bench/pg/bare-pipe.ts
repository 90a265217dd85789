/**
 * The bare-pipe contender: a TCP proxy that copies bytes both ways and parses nothing.
 * Run as its own process: `tsx bench/pg/bare-pipe.ts <listen-port> <target-port>`.
 * It shows what a Node process costs on this path before any protocol work is done.
 */
import net from "node:net";

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || !Number.isInteger(targetPort)) {
  console.error("usage: bare-pipe.ts <listen-port> <target-port>");
  process.exit(2);
}

const server = net.createServer((client) => {
  const target = net.connect({ host: "127.0.0.1", port: targetPort });
  client.setNoDelay(true);
  target.setNoDelay(true);
  client.pipe(target);
  target.pipe(client);
  const end = () => {
    client.destroy();
    target.destroy();
  };
  client.on("error", end).on("close", end);
  target.on("error", end).on("close", end);
});

server.listen(listenPort, "127.0.0.1", () => console.log(`bare pipe listening on 127.0.0.1:${listenPort} -> ${targetPort}`));
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
