import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { run } from "../support/run-program";
import { sshClient, startSshServer, type SshServer } from "../support/ssh-server";
import { expect, storageStateFor, test } from "./support/fixtures";

// SSH connections through the console against a private OpenSSH server: the form, Test connection
// with the target's host key or its refusal, the host key pinned by a real ssh through the gateway,
// and forgetting the pin.
let sshd: SshServer;
let clientKey: string;
let otherKey: string;
let encryptedKey: string;
test.beforeAll(async () => {
  sshd = await startSshServer();
  clientKey = readFileSync(sshd.clientKeyFile, "utf8");
  const keygen = (name: string, passphrase: string) => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path.join(sshd.dir, name)]);
    return readFileSync(path.join(sshd.dir, name), "utf8");
  };
  otherKey = keygen("not-authorised", "");
  encryptedKey = keygen("encrypted", "correct horse");
});
test.afterAll(() => sshd?.stop());

const noSidewaysScroll = async (page: Page) => {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${page.url()} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
};

async function fillSshForm(page: Page, name: string, user: string, key: string) {
  await page.goto("/connections/new");
  await page.getByLabel("Type", { exact: true }).selectOption("ssh");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Host", { exact: true }).fill("127.0.0.1");
  await page.getByLabel("Port", { exact: true }).fill(String(sshd.port));
  await page.getByLabel("User", { exact: true }).fill(user);
  await page.getByLabel("Private key", { exact: true }).fill(key);
}

test("[CONNECTIONS][SSH]: an admin adds an SSH connection through the form, tests it, sees the host key pinned by the first connection and forgets it", async ({ browser, stack, cli, shot }) => {
  const context = await browser.newContext({ storageState: storageStateFor("admin"), viewport: { width: 1280, height: 900 } });
  const admin = await context.newPage();

  // The form: SSH defaults, then the target's own refusals before it succeeds.
  await admin.goto("/connections/new");
  await admin.getByLabel("Type", { exact: true }).selectOption("ssh");
  await expect(admin.getByLabel("Port", { exact: true })).toHaveValue("22");
  await expect(admin.getByLabel("Record terminal sessions")).toBeChecked();
  await expect(admin.getByLabel("Allow port forwarding")).not.toBeChecked();
  await expect(admin.getByLabel("Database", { exact: true })).toHaveCount(0);

  await fillSshForm(admin, "ssh-e2e", sshd.user, encryptedKey);
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.locator("#field-privateKey-error")).toContainText("this key is encrypted with a passphrase");
  await expect(admin.getByLabel("Private key", { exact: true })).toHaveAttribute("aria-invalid", "true");

  await admin.getByLabel("Private key", { exact: true }).fill(otherKey);
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.getByText(`authentication failed for user ${sshd.user} on 127.0.0.1:${sshd.port}: the target refused the private key`)).toBeVisible();

  await admin.getByLabel("Private key", { exact: true }).fill(clientKey);
  await admin.getByLabel("User", { exact: true }).fill("nobody-here");
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.getByText(`authentication failed for user nobody-here on 127.0.0.1:${sshd.port}`)).toBeVisible();

  await admin.getByLabel("User", { exact: true }).fill(sshd.user);
  await admin.getByRole("button", { name: "Test connection" }).click();
  const connected = admin.getByRole("status").filter({ hasText: "Connected in" });
  await expect(connected).toContainText(`host key ${sshd.hostKeyFingerprint}`);
  await expect(connected).toContainText("No key is pinned yet");
  await expect(connected).not.toContainText("OPENSSH PRIVATE KEY");
  await shot(admin, "ssh-connection-form");
  await admin.getByRole("button", { name: "Add connection" }).click();
  await expect(admin).toHaveURL(/\/connections$/);
  const row = admin.getByRole("row", { name: /ssh-e2e/ });
  await expect(row).toContainText(`${sshd.user}@127.0.0.1:${sshd.port}`);
  await expect(row).toContainText("host key not pinned yet");
  await expect(row).toContainText("recording on · forwarding off");
  await shot(admin, "ssh-connections");
  // The list's Test uses the stored key.
  await row.getByRole("button", { name: "Test ssh-e2e" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Connected in" })).toContainText(sshd.hostKeyFingerprint);

  // Its page: not pinned yet; the stored key is write-only and Test uses it.
  await row.getByRole("link", { name: "Edit ssh-e2e" }).click();
  const hostKeyCard = admin.locator("section").filter({ has: admin.getByRole("heading", { name: "Host key", exact: true }) });
  await expect(admin.getByText("Not pinned yet: the first connection pins it.")).toBeVisible();
  await expect(admin.getByText("A private key is stored.")).toBeVisible();
  await expect(admin.getByLabel("Private key", { exact: true })).toHaveValue("");
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Connected in" })).toContainText(sshd.hostKeyFingerprint);

  // A real ssh through the gateway pins the target's key at first use.
  await cli("grant", "ssh-ops", "ssh-e2e");
  const key = (await cli("keys", "issue", "agent-ssh-console", "--groups", "ssh-ops")).stdout.trim();
  const client = sshClient(sshd.dir, stack.gatewaySshPort, key);
  const ssh = await run("ssh", [...client.opts, "ssh-e2e@127.0.0.1", "echo pinned-$((40+2))"], { env: client.env, timeoutMs: 30_000 });
  expect(ssh.stdout.trim(), ssh.stderr).toBe("pinned-42");
  await admin.reload();
  await expect(admin.getByTestId("pinned-host-key")).toHaveText(sshd.hostKeyFingerprint);
  await expect(hostKeyCard).toContainText(/Pinned at first use on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./);
  // The pin is shown apart from the form: the form offers no field for it, and saving keeps it.
  await expect(admin.getByLabel("Host key fingerprint (optional)")).toHaveCount(0);
  await admin.getByLabel("Allow port forwarding").check();
  await admin.getByRole("button", { name: "Save changes" }).click();
  await expect(admin).toHaveURL(/\/connections$/);
  await expect(row).toContainText(`host key ${sshd.hostKeyFingerprint.slice(0, 19)}… pinned`);
  await expect(row).toContainText("forwarding allowed");
  await row.getByRole("link", { name: "Edit ssh-e2e" }).click();
  await expect(admin.getByTestId("pinned-host-key")).toHaveText(sshd.hostKeyFingerprint);
  await shot(admin, "ssh-connection-pinned");

  // Forgetting the pin asks first, says what it opens up, and the next connection may pin again.
  await hostKeyCard.getByRole("button", { name: "Forget pinned key…" }).click();
  const dialog = admin.getByRole("dialog", { name: "Forget the pinned host key of ssh-e2e?" });
  await expect(dialog).toContainText("trusts whatever key");
  await expect(dialog).toContainText("that impostor gets pinned");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(admin.getByTestId("pinned-host-key")).toHaveText(sshd.hostKeyFingerprint);
  await hostKeyCard.getByRole("button", { name: "Forget pinned key…" }).click();
  await shot(admin, "ssh-connection-forget-dialog");
  await dialog.getByRole("button", { name: "Forget the pinned key" }).click();
  await expect(dialog).toBeHidden();
  await expect(admin.getByText("Not pinned yet: the first connection pins it.")).toBeVisible();
  await expect(admin.getByLabel("Host key fingerprint (optional)")).toHaveValue("");

  // The audit has the gateway's pin and the console's forget with before and after.
  const events = (await cli("audit", "list", "--json")).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { action: string; connectionName: string | null; message: string | null; details: Record<string, unknown> | null });
  expect(events.find((e) => e.action === "ssh.hostkey.pinned" && e.connectionName === "ssh-e2e")?.message).toContain(sshd.hostKeyFingerprint);
  const forget = events.find((e) => e.action === "console.connection.hostkey.forget" && e.connectionName === "ssh-e2e");
  expect(forget?.details).toMatchObject({ before: { hostKey: sshd.hostKeyFingerprint, hostKeyPinnedAt: expect.any(String) }, after: { hostKey: null, hostKeyPinnedAt: null } });
  const create = events.find((e) => e.action === "console.connection.create" && e.connectionName === "ssh-e2e");
  expect(JSON.stringify(create)).not.toContain("OPENSSH PRIVATE KEY");
  expect(JSON.stringify(events.filter((e) => e.action === "console.connection.test"))).not.toContain("OPENSSH PRIVATE KEY");

  // The next ssh pins the key again.
  const again = await run("ssh", [...client.opts, "ssh-e2e@127.0.0.1", "true"], { env: client.env, timeoutMs: 30_000 });
  expect(again.code, again.stderr).toBe(0);
  await admin.reload();
  await expect(admin.getByTestId("pinned-host-key")).toHaveText(sshd.hostKeyFingerprint);
  await context.close();
});

test("[CONNECTIONS][SSH]: a fingerprint pinned up front that the target does not present is refused before the credential is sent; switching to a password replaces the key", async ({
  browser,
  cli,
  shot,
}) => {
  const context = await browser.newContext({ storageState: storageStateFor("admin"), viewport: { width: 1280, height: 900 } });
  const admin = await context.newPage();
  // A retry (CI retries once) saves under its own name: the first try may have saved this one already.
  const name = `ssh-e2e-pinned${test.info().retry ? `-retry${test.info().retry}` : ""}`;
  await fillSshForm(admin, name, sshd.user, clientKey);
  await admin.getByLabel("Host key fingerprint (optional)").fill("SHA256:not-a-fingerprint");
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.getByText("SHA256: followed by 43 characters, as `ssh-keygen -lf` prints it")).toBeVisible();
  const wrong = `SHA256:${"A".repeat(42)}Q`;
  await admin.getByLabel("Host key fingerprint (optional)").fill(wrong);
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.getByRole("alert").filter({ hasText: "Could not connect" })).toContainText(`is ${sshd.hostKeyFingerprint}, not the pinned ${wrong}; the credential was not sent`);
  await shot(admin, "ssh-connection-hostkey-mismatch");

  // The right fingerprint, pinned by this admin when saved.
  await admin.getByLabel("Host key fingerprint (optional)").fill(sshd.hostKeyFingerprint);
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Connected in" })).toContainText("It matches the pinned key.");
  await admin.getByRole("button", { name: "Add connection" }).click();
  await expect(admin).toHaveURL(/\/connections$/);
  await admin.getByRole("link", { name: `Edit ${name}`, exact: true }).click();
  await expect(admin.getByTestId("pinned-host-key")).toHaveText(sshd.hostKeyFingerprint);
  await expect(admin.getByText(/Pinned by admin@example\.test in the console on /)).toBeVisible();

  // Switching to a password: Test gives the target's refusal, and saving replaces the key by it.
  await expect(admin.getByLabel("Log in with")).toHaveValue("privateKey");
  await admin.getByLabel("Log in with").selectOption("password");
  await expect(admin.getByLabel("Private key", { exact: true })).toHaveCount(0);
  await admin.getByLabel("Password", { exact: true }).fill("hunter2-not-the-password");
  await admin.getByRole("button", { name: "Test connection" }).click();
  await expect(admin.getByText(`authentication failed for user ${sshd.user} on 127.0.0.1:${sshd.port}: the target refused the password`)).toBeVisible();
  await expect(admin.locator("body")).not.toContainText("hunter2-not-the-password");
  await admin.getByRole("button", { name: "Save changes" }).click();
  await expect(admin).toHaveURL(/\/connections$/);
  await admin.getByRole("link", { name: `Edit ${name}`, exact: true }).click();
  await expect(admin.getByLabel("Log in with")).toHaveValue("password");
  await expect(admin.getByText("A password is stored.")).toBeVisible();
  await expect(admin.getByTestId("pinned-host-key")).toHaveText(sshd.hostKeyFingerprint);
  const updates = (await cli("audit", "list", "--json")).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { action: string; connectionName: string | null; details: { after?: { sealedFields?: string[]; sealedFieldChanges?: string[] } } | null });
  const update = updates.findLast((e) => e.action === "console.connection.update" && e.connectionName === name);
  expect(update?.details?.after).toMatchObject({ sealedFields: ["password"], sealedFieldChanges: ["password replaced", "privateKey removed"] });
  expect(JSON.stringify(updates)).not.toContain("hunter2-not-the-password");
  await context.close();
});

test("[CONNECTIONS][SSH][PHONE]: the SSH form and the connection's page read at 390 px without sideways scrolling", async ({ browser, shot }) => {
  const context = await browser.newContext({ storageState: storageStateFor("admin"), viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await fillSshForm(page, "ssh-e2e-phone", sshd.user, clientKey);
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Connected in" })).toContainText(sshd.hostKeyFingerprint);
  await noSidewaysScroll(page);
  await shot(page, "phone-ssh-connection-form");
  await page.getByRole("button", { name: "Add connection" }).click();
  await expect(page).toHaveURL(/\/connections$/);
  await noSidewaysScroll(page);
  await page.getByRole("link", { name: "Edit ssh-e2e-phone" }).click();
  await expect(page.getByText("Not pinned yet: the first connection pins it.")).toBeVisible();
  await noSidewaysScroll(page);
  await shot(page, "phone-ssh-connection-page");
  await context.close();
});
