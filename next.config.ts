import type { NextConfig } from "next";
import { parseConsoleEnv } from "./server/env";

// A bad console environment fails the build and the start, with the variable named.
parseConsoleEnv();

const config: NextConfig = {
  // Several builds side by side (tests, parallel work) each get their own folder.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // Node-only packages the server code uses as they are, not bundled.
  serverExternalPackages: ["pg", "pg-protocol", "libpg-query", "@electric-sql/pglite", "selfsigned"],
};

export default config;
