import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const lock = path.resolve(import.meta.dirname, "../../..", "test-results", ".locks", "review-queue");

/**
 * The stack's review queue is one for every worker: a spec that holds statements for review or
 * counts what waits ("Nothing is waiting", "1 waiting") takes it for its whole file (beforeAll to
 * afterAll), so specs in other workers cannot add to it meanwhile. A lock directory (mkdir is atomic)
 * with its owner's pid: one left by a worker that died is taken over.
 */
export async function takeReviewQueue(): Promise<() => void> {
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (ownerGone()) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function ownerGone(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(lock, "pid"), "utf8"));
  } catch {
    return false; // just created: its pid is being written
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
