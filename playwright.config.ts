import { defineConfig } from "@playwright/test";

/**
 * Browser tests of the console: Debian's Chromium driven by Playwright against the production
 * build, with the gateway, a private PostgreSQL and a real OIDC provider started by the global
 * setup (e2e/console/support/console-stack.ts).
 */
export default defineConfig({
  testDir: "e2e/console",
  globalSetup: "./e2e/console/support/global-setup.ts",
  outputDir: "test-results/console",
  forbidOnly: Boolean(process.env.CI),
  // One retry on CI for specs that race the live view under a loaded machine (a retried pass is reported as flaky).
  retries: process.env.CI ? 1 : 0,
  // Specs that hold statements for review share the stack's queue, so they take it in turn (support/review-queue.ts).
  // Three workers measured 7.7 min against 8.0 with two on this 2-core machine: within its noise, so two.
  workers: 2,
  // Several specs drive the CLI (a TypeScript process per call, seconds each on a loaded 2-core machine).
  timeout: 180_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "auth", testMatch: /auth\.setup\.ts$/ },
    { name: "console", testMatch: /.*\.spec\.ts$/, dependencies: ["auth"] },
  ],
});
