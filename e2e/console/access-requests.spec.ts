import { expect, storageStateFor, test } from "./support/fixtures";

test("[ACCESS][REQUEST]: an admin asks for time-bound access for an agent, an approver approves, the agent gets in, revoking ends it", async ({ browser, cli, psql, stack, shot }) => {
  await cli("connections", "add", "jit-db", "--type", "postgres", "--url", stack.targetUrl);
  const key = (await cli("keys", "issue", "agent-jit", "--groups", "nobody")).stdout.trim();
  expect((await psql(key, "jit-db", ["-c", "select 1"])).stderr).toContain("not allowed to use it");

  const admin = await browser.newContext({ storageState: storageStateFor("admin") });
  const page = await admin.newPage();
  await page.goto("/access-requests");
  await page.getByLabel("Identity").selectOption("agent-jit");
  await page.getByLabel("Connection").selectOption("jit-db");
  await page.getByLabel("For how long").selectOption({ label: "1 hour" });
  await page.getByRole("button", { name: "Request access" }).click();
  await expect(page.getByText("say why access is needed")).toBeVisible();
  await page.getByLabel("Why").fill("INC-1234: check the orders table");
  await page.getByRole("button", { name: "Request access" }).click();
  const row = page.getByRole("row", { name: /agent-jit.*jit-db/ });
  await expect(row.getByText("waiting")).toBeVisible();
  // The admin filed it, so the admin cannot approve it.
  await row.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("nobody approves their own access request")).toBeVisible();
  await admin.close();

  const approver = await browser.newContext({ storageState: storageStateFor("approver") });
  const ap = await approver.newPage();
  await ap.goto("/access-requests");
  const pending = ap.getByRole("row", { name: /agent-jit.*jit-db/ });
  await pending.getByRole("button", { name: "Approve" }).click();
  await expect(pending.getByText("active")).toBeVisible();
  await shot(ap, "access-requests");
  expect((await psql(key, "jit-db", ["-qAtc", "select 'in'"])).stdout.trim()).toBe("in");
  await pending.getByRole("button", { name: "Revoke now" }).click();
  await expect(pending.getByText("revoked", { exact: true })).toBeVisible();
  expect((await psql(key, "jit-db", ["-c", "select 1"])).stderr).toContain("not allowed to use it");
  await approver.close();

  // A member asks for their own identity only, once an admin has linked their account to it.
  const member = await browser.newContext({ storageState: storageStateFor("member") });
  const mp = await member.newPage();
  await mp.goto("/access-requests");
  await expect(mp.getByText("not linked to a gateway identity")).toBeVisible();
  const admin2 = await browser.newContext({ storageState: storageStateFor("admin") });
  const ap2 = await admin2.newPage();
  await ap2.goto("/users");
  await ap2.getByLabel("Gateway identity of member@example.test").selectOption("agent-jit");
  await expect(ap2.getByLabel("Gateway identity of member@example.test")).toHaveValue("agent-jit");
  // The save is confirmed in words, with what it means for the audit.
  await expect(ap2.getByRole("status").filter({ hasText: "Saved: member@example.test is linked to the gateway identity agent-jit" })).toBeVisible();
  await shot(ap2, "users-identity-linked");
  await admin2.close();
  await mp.reload();
  await expect(mp.getByLabel("Identity")).toContainText("agent-jit");
  expect(await mp.getByLabel("Identity").locator("option").allTextContents()).toEqual(["Choose…", "agent-jit"]);
  await member.close();
});
