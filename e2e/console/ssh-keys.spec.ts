import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext, Browser, Page } from "@playwright/test";
import { eq } from "drizzle-orm";
import { identities } from "../../drizzle/schema/index";
import { run } from "../support/run-program";
import { startSshServer, type SshServer } from "../support/ssh-server";
import type { StackInfo } from "./support/console-stack";
import { expect, signInLocal, storageStateFor, test } from "./support/fixtures";
import { addPerson, linkIdentity } from "./support/people";
import { openStackDb } from "./support/seed-recording";

// SSH public keys registered in the console, proved with OpenSSH through the stack's gateway to a
// private sshd: a person manages their own identity's keys, an admin anyone's, and nobody else's
// can be touched through tRPC.
let sshd: SshServer;
type KeyPair = { file: string; pub: string; priv: string; fingerprint: string };
const keygen = (name: string): KeyPair => {
  const file = path.join(sshd.dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@e2e`, "-f", file]);
  const fingerprint = execFileSync("ssh-keygen", ["-lf", `${file}.pub`], { encoding: "utf8" }).split(" ")[1];
  return { file, pub: readFileSync(`${file}.pub`, "utf8"), priv: readFileSync(file, "utf8"), fingerprint };
};
test.beforeAll(async () => {
  sshd = await startSshServer();
});
test.afterAll(() => sshd?.stop());

type AuditRow = { action: string; outcome: string; identityName: string | null; message: string | null; details: Record<string, unknown> | null };

/** A console account of its own for this file, linked to `identity` by an admin on Console users. */
async function linkedPerson(browser: Browser, stack: StackInfo, email: string, identity: string): Promise<string> {
  const password = await addPerson(stack, email);
  await linkIdentity(browser, email, identity);
  return password;
}

/** OpenSSH with one key and nothing else (no agent, no password prompt), through the gateway. */
const sshWithKey = (stack: StackInfo, key: string, connection: string) =>
  run(
    "ssh",
    [
      "-i",
      key,
      "-p",
      String(stack.gatewaySshPort),
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "ConnectTimeout=10",
      `${connection}@127.0.0.1`,
      "echo ok",
    ],
    { env: { SSH_AUTH_SOCK: "" }, timeoutMs: 30_000 },
  );

const identityId = async (stack: StackInfo, name: string) => {
  const handle = openStackDb(stack.env.DATABASE_URL);
  try {
    const [row] = await handle.db.select({ id: identities.id }).from(identities).where(eq(identities.name, name));
    return row.id;
  } finally {
    await handle.close();
  }
};

/** tRPC as the browser sends it (superjson), with the page's sign-in cookie. */
const trpcMutation = (request: APIRequestContext, procedure: string, input: unknown) => request.post(`/api/trpc/${procedure}`, { data: { json: input } });
const trpcQuery = (request: APIRequestContext, procedure: string, input: unknown) => request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);

const keyList = (page: Page, owner: string) => page.getByRole("list", { name: `SSH keys of ${owner}` });
const noSidewaysScroll = async (page: Page) => {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${page.url()} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
};
const audit = async (cli: (...a: string[]) => Promise<{ stdout: string }>) =>
  (await cli("audit", "list", "--json")).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as AuditRow);

test("[SSH KEYS][OWN]: a linked person registers their public key, logs in with it through the gateway, is warned off a private key, and removes the key", async ({ browser, stack, cli, shot }) => {
  await cli("connections", "add", "keys-box", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  await cli("grant", "keys-ops", "keys-box");
  await cli("keys", "issue", "kim-keys", "--groups", "keys-ops"); // creates the identity; its token is not used here
  const password = await linkedPerson(browser, stack, "kim.keys@example.test", "kim-keys");
  const key = keygen("kim_ed25519");

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInLocal(page, "kim.keys@example.test", password);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "SSH keys" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "SSH keys" })).toBeVisible();
  await expect(page.getByText("Keys of kim-keys, your gateway identity")).toBeVisible();
  await expect(page.getByText("No SSH keys yet")).toBeVisible();
  await expect(page.getByTestId("ssh-command")).toHaveText(`ssh -i ~/.ssh/id_ed25519 -p ${stack.gatewaySshPort} <connection>@localhost`);
  // Members do not get the admin's picker.
  await expect(page.getByLabel("Identity", { exact: true })).toHaveCount(0);

  // A pasted private key: a warning, the field cleared, nothing sent or stored.
  const field = page.getByLabel("Public key", { exact: true });
  const sent: string[] = [];
  page.on("request", (r) => void (r.url().includes("/api/trpc/") && sent.push(r.postData() ?? "")));
  await field.fill(key.priv);
  await expect(page.locator("#ssh-public-key-error")).toContainText("This is a private key: Gatehouse did not save it.");
  await expect(page.locator("#ssh-public-key-error")).toContainText("It never left this page: the field was cleared.");
  await expect(field).toHaveValue("");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await shot(page, "laptop-ssh-keys-private-key-warning");
  expect(sent.join("\n")).not.toContain("PRIVATE KEY");
  // The server refuses one too, when something sends it anyway.
  const direct = await trpcMutation(page.request, "sshKeys.add", { publicKey: key.priv });
  expect(direct.status()).toBe(400);
  const directBody = await direct.text();
  expect(directBody).toContain("This is a private key");
  expect(directBody).not.toContain("OPENSSH PRIVATE KEY");
  expect((await cli("ssh-keys", "list", "kim-keys")).stdout.trim()).toBe("");

  // Not a key at all: the parser's reason under the field.
  await field.fill("ssh-ed25519 definitely-not-base64");
  await page.getByRole("button", { name: "Add key" }).click();
  await expect(page.locator("#ssh-public-key-error")).toContainText("Not an SSH public key");

  // The public half: listed with the same fingerprint ssh-keygen prints, never used yet.
  await field.fill(key.pub);
  await page.getByLabel("Name (optional)").fill("kim laptop");
  await page.getByRole("button", { name: "Add key" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added kim laptop" })).toHaveText(`Added kim laptop (${key.fingerprint}).`);
  const item = keyList(page, "kim-keys").getByRole("listitem");
  await expect(item).toHaveCount(1);
  await expect(item.getByTestId("ssh-key-fingerprint")).toHaveText(key.fingerprint);
  await expect(item).toContainText("kim laptop");
  await expect(item).toContainText("never used");
  expect((await cli("ssh-keys", "list", "kim-keys")).stdout).toContain(key.fingerprint);

  // OpenSSH logs in with it through the gateway, as kim-keys, and the page shows the use.
  const ssh = await sshWithKey(stack, key.file, "keys-box");
  expect(ssh.stdout, ssh.stderr).toBe("ok\n");
  await expect.poll(async () => (await audit(cli)).some((e) => e.identityName === "kim-keys" && e.action.startsWith("ssh."))).toBe(true);
  await expect.poll(async () => (await page.reload(), await item.textContent()), { timeout: 15_000 }).toMatch(/last used \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  await noSidewaysScroll(page);
  await shot(page, "laptop-ssh-keys-own");

  // At phone width the list, the form and the ssh line fit without the page scrolling sideways.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const pp = await phone.newPage();
  await signInLocal(pp, "kim.keys@example.test", password);
  await pp.goto("/ssh-keys");
  await expect(keyList(pp, "kim-keys").getByRole("button", { name: "Remove key kim laptop" })).toBeInViewport();
  await noSidewaysScroll(pp);
  await shot(pp, "phone-ssh-keys-own");
  await phone.close();

  // Remove asks first; Cancel keeps the key, Remove key refuses it from then on.
  await item.getByRole("button", { name: "Remove key kim laptop" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove the SSH key kim laptop?" });
  await expect(dialog).toContainText(key.fingerprint);
  await shot(page, "laptop-ssh-keys-remove-dialog");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(item).toHaveCount(1);
  await item.getByRole("button", { name: "Remove key kim laptop" }).click();
  await dialog.getByRole("button", { name: "Remove key" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText("No SSH keys yet")).toBeVisible();
  const refused = await sshWithKey(stack, key.file, "keys-box");
  expect(refused.code).toBe(255);
  expect(refused.stderr).toContain("Permission denied");
  await context.close();

  // Both changes are audited under the person, by fingerprint; no private key anywhere in the audit.
  const events = await audit(cli);
  const mine = events.filter((e) => e.identityName === "kim.keys@example.test" && e.action.startsWith("console.sshkey."));
  expect(mine.map((e) => [e.action, e.outcome])).toEqual([
    ["console.sshkey.add", "ok"],
    ["console.sshkey.remove", "ok"],
  ]);
  expect(mine[0].details).toMatchObject({ target: "kim-keys", after: { fingerprint: key.fingerprint, name: "kim laptop", type: "ssh-ed25519" } });
  expect(mine[1].details).toMatchObject({ target: "kim-keys", before: { fingerprint: key.fingerprint, name: "kim laptop" } });
  expect(JSON.stringify(events)).not.toContain("PRIVATE KEY");
});

test("[SSH KEYS][FORBIDDEN]: a member cannot list, add or remove another identity's keys through tRPC (403)", async ({ browser, stack, cli }) => {
  await cli("keys", "issue", "lee-keys", "--groups", "keys-ops");
  await cli("keys", "issue", "keys-other-bot", "--groups", "keys-ops");
  const otherKey = keygen("other_ed25519");
  await cli("ssh-keys", "add", "keys-other-bot", "-f", `${otherKey.file}.pub`, "--name", "bot key");
  const password = await linkedPerson(browser, stack, "lee.keys@example.test", "lee-keys");
  const other = await identityId(stack, "keys-other-bot");

  const context = await browser.newContext();
  const page = await context.newPage();
  await signInLocal(page, "lee.keys@example.test", password);
  const attempts = [
    await trpcQuery(page.request, "sshKeys.list", { identityId: other }),
    await trpcMutation(page.request, "sshKeys.add", { identityId: other, publicKey: keygen("sneaky_ed25519").pub }),
    await trpcMutation(page.request, "sshKeys.remove", { identityId: other, fingerprint: otherKey.fingerprint }),
    await trpcQuery(page.request, "sshKeys.owners", {}),
  ];
  expect(attempts.map((r) => r.status())).toEqual([403, 403, 403, 403]);
  expect(await attempts[1].text()).toContain("You may only manage the SSH keys of your own gateway identity");
  // Under their own identity, another's fingerprint is simply not theirs.
  expect((await trpcMutation(page.request, "sshKeys.remove", { fingerprint: otherKey.fingerprint })).status()).toBe(404);
  await context.close();

  const left = (await cli("ssh-keys", "list", "keys-other-bot")).stdout.trim().split("\n");
  expect(left).toHaveLength(1);
  expect(left[0]).toContain(otherKey.fingerprint);
  const denied = async () => (await audit(cli)).filter((e) => e.identityName === "lee.keys@example.test" && e.outcome === "denied").map((e) => e.action);
  await expect.poll(denied).toEqual(["console.sshkey.add", "console.sshkey.remove"]);
});

test("[SSH KEYS][ADMIN]: an admin picks an agent, registers a key for it that OpenSSH logs in with, and removes it", async ({ browser, stack, cli, shot }) => {
  await cli("connections", "add", "keys-box-2", "--type", "ssh", "--host", "127.0.0.1", "--port", String(sshd.port), "--user", sshd.user, "--private-key-file", sshd.clientKeyFile);
  await cli("grant", "keys-bots", "keys-box-2");
  await cli("keys", "issue", "keys-deploy-bot", "--groups", "keys-bots");
  const key = keygen("bot_ed25519");
  const botId = await identityId(stack, "keys-deploy-bot");

  const context = await browser.newContext({ storageState: storageStateFor("admin"), viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto("/ssh-keys");
  const picker = page.getByLabel("Identity", { exact: true });
  await picker.selectOption({ label: "keys-deploy-bot (agent) · 0 keys" });
  await expect(page).toHaveURL(new RegExp(`/ssh-keys\\?identity=${botId}$`));
  await expect(page.getByText("Keys of keys-deploy-bot")).toBeVisible();
  const form = page.getByRole("form", { name: "Add an SSH key for keys-deploy-bot" });
  await form.getByLabel("Public key", { exact: true }).fill(key.pub);
  await form.getByRole("button", { name: "Add key" }).click();
  const item = keyList(page, "keys-deploy-bot").getByRole("listitem");
  await expect(item.getByTestId("ssh-key-fingerprint")).toHaveText(key.fingerprint);
  await expect(item).toContainText("bot_ed25519@e2e"); // named after the line's comment
  await shot(page, "laptop-ssh-keys-admin");

  const ssh = await sshWithKey(stack, key.file, "keys-box-2");
  expect(ssh.stdout, ssh.stderr).toBe("ok\n");

  // The address keeps the pick: a reload shows the same identity.
  await page.reload();
  await expect(picker).toHaveValue(botId);
  await item.getByRole("button", { name: "Remove key bot_ed25519@e2e" }).click();
  await page.getByRole("dialog", { name: "Remove the SSH key bot_ed25519@e2e?" }).getByRole("button", { name: "Remove key" }).click();
  await expect(keyList(page, "keys-deploy-bot")).toHaveCount(0);
  await expect((await sshWithKey(stack, key.file, "keys-box-2")).code).toBe(255);
  await context.close();

  const events = (await audit(cli)).filter((e) => e.identityName === stack.accounts.admin.email && e.action.startsWith("console.sshkey."));
  expect(events.map((e) => [e.action, e.outcome, e.details?.target])).toEqual([
    ["console.sshkey.add", "ok", "keys-deploy-bot"],
    ["console.sshkey.remove", "ok", "keys-deploy-bot"],
  ]);
});
