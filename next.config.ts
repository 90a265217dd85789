import type { NextConfig } from "next";

const config: NextConfig = {
  // Node-only packages the server code uses as they are, not bundled.
  serverExternalPackages: ["pg", "pg-protocol", "libpg-query", "@electric-sql/pglite", "selfsigned"],
};

export default config;
