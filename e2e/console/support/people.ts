import path from "node:path";
import type { Browser } from "@playwright/test";
import { run } from "../../support/run-program";
import type { StackInfo } from "./console-stack";
import { expect, storageStateFor } from "./fixtures";

const gatehouse = path.resolve(import.meta.dirname, "../../../bin/gatehouse.mjs");

/**
 * A console account of a spec's own (a member unless said) (the shared role accounts are linked and unlinked by
 * other tests), added with the CLI; returns its password.
 */
export async function addPerson(stack: StackInfo, email: string, groups: string[] = [], role: "member" | "admin" = "member"): Promise<string> {
  const password = `pw-${email.split("@")[0]}-e2e`;
  const r = await run(process.execPath, [gatehouse, "users", "add", email, "--role", role, ...(groups.length ? ["--groups", groups.join(",")] : []), "--password-stdin"], {
    env: stack.env,
    input: password,
  });
  expect(r.code, r.stderr).toBe(0);
  return password;
}

/** Links a console account to a gateway identity the way an admin does: on the Console users page. */
export async function linkIdentity(browser: Browser, email: string, identity: string): Promise<void> {
  const admin = await browser.newContext({ storageState: storageStateFor("admin") });
  const page = await admin.newPage();
  await page.goto("/users");
  await page.getByLabel(`Gateway identity of ${email}`).selectOption(identity);
  await expect(page.getByLabel(`Gateway identity of ${email}`)).toHaveValue(identity);
  await admin.close();
}
