import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

// Two projects. `unit`: tests beside the code (core/, gateway/, server/, drizzle/) that need no
// database and no server, so they run in seconds (`npm run test:unit`). `e2e`: everything under
// e2e/, plus the tests beside the code that use what the e2e global setup provides (the run's
// private PostgreSQL, through inject("pg")) or the e2e support servers (`npm run test:e2e`).
// A test file beside the code is sorted by what it uses, so a new one lands in the right project
// without anyone updating a list here.
const SOURCE_DIRS = ["core", "gateway", "server", "drizzle"];
const usesServers = (source: string) => /\binject\(\s*["']/.test(source) || /from\s+["'](\.\.\/)+e2e\/support\//.test(source);

function testFilesIn(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? testFilesIn(path.join(dir, e.name)) : e.name.endsWith(".test.ts") ? [path.join(dir, e.name)] : []));
}

const besideTheCode = SOURCE_DIRS.flatMap((d) => testFilesIn(path.join(import.meta.dirname, d))).map((f) => path.relative(import.meta.dirname, f));
const needsServers = besideTheCode.filter((f) => usesServers(readFileSync(f, "utf8")));

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Three workers on the two cores: much of an e2e test is waiting (a spawned client, a server's
    // start, a poll), and a third file fills those gaps (the vitest stage took 376 s against 421 s with two).
    maxWorkers: 3,
    allowOnly: !process.env.CI,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: SOURCE_DIRS.map((d) => `${d}/**/*.test.ts`),
          exclude: ["**/node_modules/**", ...needsServers],
          // Files share a worker's module cache (importing the SQL parser's WASM once, not per file):
          // this halves the run. A unit test that stubs a module, a global or the environment must
          // restore it in afterEach/afterAll, since the next file in that worker would see it.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts", ...needsServers],
          globalSetup: ["e2e/support/global-setup.ts"],
          // Files run one after another in each worker and share its module cache, as in `unit`: a fresh
          // process per file spent most of the e2e run importing the gateway again (1,462 modules, ~4 s a file
          // on a loaded machine: 504 s of a 1,075 s run; 62 s without isolation). A file must close what it
          // starts (gateways, servers, timers) and restore what it changes (process.env, stubs) in its
          // afterAll. E2E_ISOLATE=1 gives each file its own process, to tell a leak between files from a bug.
          isolate: process.env.E2E_ISOLATE === "1",
        },
      },
    ],
  },
});
