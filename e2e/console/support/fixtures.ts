import { test as base, expect, type BrowserContext, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { run, type RunResult } from "../../support/run-program";
import { inProcessCli } from "../../support/in-process-cli";
import type { Role, StackInfo } from "./console-stack";

export { expect };

const root = path.resolve(import.meta.dirname, "../../..");

export function stackInfo(): StackInfo {
  const raw = process.env.GATEHOUSE_E2E_STACK;
  if (!raw) throw new Error("GATEHOUSE_E2E_STACK is not set: run the browser tests with `npx playwright test` (its global setup starts the product)");
  return JSON.parse(raw) as StackInfo;
}

/** Where the auth setup project saves each role's signed-in browser state. */
export const storageStateFor = (role: Role) => path.join(root, "test-results", ".auth", `${role}.json`);

type Fixtures = {
  stack: StackInfo;
  /** Runs `gatehouse` commands against the test's shared database (in this process: e2e/support/in-process-cli.ts). */
  cli: (...args: string[]) => Promise<RunResult>;
  /** Runs real psql through the gateway with a Gatehouse key. */
  psql: (key: string, connection: string, args: string[], input?: string) => Promise<RunResult>;
  /**
   * Saves a full-page screenshot under e2e/screenshots/ for people to look at after the run; not on
   * CI, where nobody looks at them and they cost about a sixth of the page sweeps' time
   * (E2E_SCREENSHOTS=1 takes them there too, E2E_SCREENSHOTS=0 skips them anywhere).
   */
  shot: (page: Page, name: string) => Promise<void>;
};

export const test = base.extend<Fixtures>({
  // Any error thrown in a page (a React hydration mismatch, an uncaught exception) fails the test that saw it.
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
    await use(page);
    expect(errors, "errors thrown in the page").toEqual([]);
  },
  stack: async ({}, use) => use(stackInfo()),
  baseURL: async ({}, use) => use(stackInfo().consoleUrl),
  cli: async ({ stack }, use) => use(inProcessCli(stack.env)),
  psql: async ({ stack }, use) =>
    use((key, connection, args, input) =>
      run("psql", [`host=127.0.0.1 port=${stack.gatewayPort} dbname=${connection} user=agent sslmode=disable`, "-X", ...args], { env: { PGPASSWORD: key, PGCONNECT_TIMEOUT: "10" }, input }),
    ),
  shot: async ({}, use) => {
    const dir = path.join(root, "e2e", "screenshots");
    mkdirSync(dir, { recursive: true });
    await use(async (page, name) => {
      if (process.env.E2E_SCREENSHOTS === "0" || (process.env.CI && process.env.E2E_SCREENSHOTS !== "1")) return;
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
    });
  },
});

/** Collects the errors thrown in any page of a context the test made itself (the `page` fixture checks its own). */
export function pageErrors(context: BrowserContext): string[] {
  const errors: string[] = [];
  context.on("weberror", (e) => errors.push(`${e.page()?.url() ?? "?"}: ${e.error().message}`));
  return errors;
}

/** Signs in on the console's own form with a local account. */
export async function signInLocal(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
}
