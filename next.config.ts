import { writeFileSync } from "node:fs";
import type { NextConfig } from "next";
import { parseConsoleEnv } from "./server/env";

// A bad console environment fails the build and the start, with the variable named.
parseConsoleEnv();

// Several builds side by side (browser tests, parallel work) each get their own folder.
const distDir = process.env.NEXT_DIST_DIR ?? ".next";

/**
 * Next adds `<distDir>/types/**` to the tsconfig it builds with, rewriting tsconfig.json when that
 * entry is missing. A build into another folder gets its own throwaway tsconfig (git-ignored, like
 * the folder) so the tracked one is never rewritten.
 */
function tsconfigFor(dir: string): string | undefined {
  if (dir === ".next") return undefined;
  const file = `${dir}.tsconfig.json`;
  writeFileSync(file, JSON.stringify({ extends: "./tsconfig.json", include: ["**/*.ts", "**/*.tsx", "next-env.d.ts", `${dir}/types/**/*.ts`] }, null, 2) + "\n");
  return file;
}

const config: NextConfig = {
  distDir,
  // `npm test` type-checks the whole project with tsc before any build, so the build need not repeat it.
  typescript: { ignoreBuildErrors: true, tsconfigPath: tsconfigFor(distDir) },
  // Likewise `npm test` lints the whole project (npm run lint); a lint finding must not stop the console from starting.
  eslint: { ignoreDuringBuilds: true },
  // Node-only packages the server code uses as they are, not bundled.
  serverExternalPackages: ["@node-saml/node-saml", "pg", "pg-copy-streams", "pg-protocol", "libpg-query", "@electric-sql/pglite", "selfsigned", "ssh2"],
};

export default config;
