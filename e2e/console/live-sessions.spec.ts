import pg from "pg";
import { expect, storageStateFor, test } from "./support/fixtures";

test.use({ storageState: storageStateFor("admin") });

async function openClient(port: number, key: string) {
  const client = new pg.Client({ host: "127.0.0.1", port, database: "live-db", user: "agent-live", password: key });
  const ended = new Promise<string>((resolve) => client.on("error", (e) => resolve(e.message)));
  await client.connect();
  await client.query("select 1");
  return { client, ended };
}

test("[SESSIONS][KILL][REVOKE]: an admin kills a live session from its page, and revoking a key on the agent page ends the sessions opened with it", async ({ page, cli, stack, shot }) => {
  await cli("connections", "add", "live-db", "--type", "postgres", "--url", stack.targetUrl);
  await cli("grant", "live-agents", "live-db");
  const key = (await cli("keys", "issue", "agent-live", "--groups", "live-agents")).stdout.trim();

  const first = await openClient(stack.gatewayPort, key);
  await page.goto("/sessions?identity=agent-live&status=active");
  const row = page.getByRole("row", { name: /agent-live/ });
  await expect(row).toContainText("active");
  await row.getByRole("link").click();
  await page.getByRole("button", { name: "Kill session…" }).click();
  await page.getByLabel("Type kill to confirm").fill("kill");
  await shot(page, "session-kill-dialog");
  await page.getByRole("button", { name: "Kill session", exact: true }).click();
  expect(await first.ended).toContain("admin@example.test ended this session from the console");
  await expect(page.getByText("closed", { exact: true }).or(page.getByText("failed", { exact: true }))).toBeVisible();

  const second = await openClient(stack.gatewayPort, key);
  await page.goto("/agents");
  await page.getByRole("link", { name: "agent-live" }).click();
  await page.getByRole("button", { name: /Revoke key ghk_/ }).click();
  await page.getByRole("button", { name: "Revoke key", exact: true }).click();
  expect(await second.ended).toContain("the key of this session was revoked");
  await expect(page.getByText("revoked", { exact: true })).toBeVisible();
  const refused = new pg.Client({ host: "127.0.0.1", port: stack.gatewayPort, database: "live-db", user: "agent-live", password: key });
  await expect(refused.connect()).rejects.toThrow(/revoked/);
});
