import { expect, storageStateFor, test } from "./support/fixtures";

// The HTTP API connection form: the setting for requests a rule holds (wait, or answer 202 at once)
// and the bodies kept in the audit log are saved as chosen and read back by the CLI; the form reads at 1280 and 390 px without sideways scrolling.
test.use({ storageState: storageStateFor("admin") });

test("[CONNECTIONS][HTTP]: an admin adds an HTTP API whose held requests are answered 202 at once", async ({ page, cli, shot }) => {
  await page.goto("/connections/new");
  await page.getByLabel("Type", { exact: true }).selectOption("http");
  await page.getByLabel("Name", { exact: true }).fill("billing-http-form");
  await page.getByLabel("Base URL", { exact: true }).fill("https://billing.internal/v1");
  await page.getByLabel("Credential", { exact: true }).fill("form-secret-1234567890");
  const held = page.getByLabel("Requests held for review");
  await expect(held).toHaveValue("wait");
  await held.selectOption("accepted");
  await page.getByLabel("Bodies kept in the audit log (bytes each)").fill("4096");
  // Larger JSON responses are masked as they stream unless the admin says to refuse them.
  await expect(page.getByLabel("Larger JSON responses while masking")).toHaveValue("stream");
  await shot(page, "http-connection-form");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `the form scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
  await page.getByRole("button", { name: "Add connection" }).click();
  await expect(page).toHaveURL(/\/connections$/);
  await expect(page.getByRole("row", { name: /billing-http-form/ })).toContainText("held requests answered 202");
  await expect(page.getByRole("row", { name: /billing-http-form/ })).toContainText("bodies kept in the audit (4096 bytes each)");

  const listed = (await cli("connections", "list", "--json")).stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { name: string; settings: Record<string, unknown> });
  expect(listed.find((c) => c.name === "billing-http-form")?.settings).toMatchObject({
    baseUrl: "https://billing.internal/v1",
    heldRequests: "accepted",
    storeBodyBytes: 4096,
    oversizeBodies: "stream",
  });

  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto("/connections/new");
  await page.getByLabel("Type", { exact: true }).selectOption("http");
  await expect(page.getByLabel("Requests held for review")).toBeVisible();
  const phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(phoneOverflow, `the form scrolls sideways by ${phoneOverflow}px at 390 px`).toBeLessThanOrEqual(1);
  await shot(page, "phone-http-connection-form");
});
