import { readFileSync } from "node:fs";
import net from "node:net";

/**
 * A port for a server a test starts itself (postgres, sshd, mariadbd, a gateway process).
 *
 * Asking the kernel for port 0 and closing the socket hands back an ephemeral port, and every
 * outgoing connection of the parallel test run draws its local port from that same range, so one
 * could take it before the child binds it (CI failed once this way: the gateway's `listen
 * EADDRINUSE`). These ports come from below the ephemeral range, where no outgoing connection
 * lands, from a block of its own for each test worker (vitest's VITEST_POOL_ID, Playwright's
 * TEST_PARALLEL_INDEX), never twice from one process, and each is checked free before it is
 * handed out (a server from an earlier test file of the same worker may still hold one).
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = block.start + (next++ % BLOCK);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${block.start}-${block.start + BLOCK - 1}`);
}

const BLOCK = 400;
const FLOOR = 12_000;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > FLOOR + BLOCK) return low;
  } catch {
    // not Linux: the IANA ephemeral range starts at 49152
  }
  return 32_768;
}

const block = (() => {
  const worker = Number(process.env.VITEST_POOL_ID ?? process.env.TEST_PARALLEL_INDEX ?? 0) || 0;
  const blocks = Math.floor((ephemeralLow() - FLOOR) / BLOCK);
  return { start: FLOOR + (worker % blocks) * BLOCK };
})();
// Where this process starts in its block: a later process of the same worker (the next test file)
// most likely starts clear of ports an earlier one's servers still hold.
let next = Math.floor(Math.random() * BLOCK);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });
}
