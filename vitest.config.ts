import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["gateway/**/*.test.ts", "core/**/*.test.ts", "server/**/*.test.ts", "e2e/**/*.test.ts", "drizzle/**/*.test.ts"],
    globalSetup: ["e2e/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    allowOnly: !process.env.CI,
  },
});
