import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

// What the console's build is made from. The console uses the gateway's domain modules (keys,
// grants, policies, the bus), so any gateway change counts: a stale build is worse than a rebuild.
const SOURCES = ["app", "components", "server", "drizzle/schema", "public", "next.config.ts", "postcss.config.mjs", "tsconfig.json", "package-lock.json", "core"];

/** Why the console must be built before `next start` can serve it, or undefined when its build is current. */
export function consoleBuildNeeded(root: string): string | undefined {
  const buildId = path.join(root, process.env.NEXT_DIST_DIR ?? ".next", "BUILD_ID");
  if (!existsSync(buildId)) return "first start: building the console, which takes a minute or two";
  const builtAt = statSync(buildId).mtimeMs;
  const changed = SOURCES.map((s) => path.join(root, s)).find((p) => newestChange(p) > builtAt);
  return changed ? `${path.relative(root, changed)} changed since the console was built: rebuilding it (a minute or so)` : undefined;
}

function newestChange(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file shows only as its folder's change
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestChange(path.join(p, entry)));
  return newest;
}
