import { appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** mulberry32: a small seeded generator, so that a failing fuzz run can be replayed from its seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, bytes, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}

export type Rng = ReturnType<typeof rng>;

/** Where every fuzz run's seed is also appended, with its test file: a vitest worker that dies takes the stderr it had not yet passed on with it. */
export const FUZZ_SEED_LOG = path.join(tmpdir(), "gatehouse-fuzz-seeds.log");

/**
 * The seed of this run: FUZZ_SEED replays one. Printed at once (stderr) and appended to
 * FUZZ_SEED_LOG, so that a run whose worker dies before its test reports (out of memory, a crash:
 * vitest then loses what the worker printed) still names the seed that replays it.
 */
export function fuzzSeed(): number {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  process.stderr.write(`[fuzz] ${process.env.VITEST_WORKER_ID ? `worker ${process.env.VITEST_WORKER_ID}, ` : ""}seed ${seed} (replay with FUZZ_SEED=${seed})\n`);
  const file = /([\w./-]+\.(?:test|spec)\.ts)/.exec(new Error().stack ?? "")?.[1];
  try {
    appendFileSync(FUZZ_SEED_LOG, `${new Date().toISOString()} pid ${process.pid} ${file ? path.relative(process.cwd(), file) : "?"}: FUZZ_SEED=${seed}\n`);
  } catch {
    // a read-only temp folder: stderr above still has it
  }
  return seed;
}
