import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { expect, storageStateFor, test } from "./support/fixtures";
import { takeReviewQueue } from "./support/review-queue";

// One connection with a review policy for this file; the psql client runs through the real gateway.
const CONNECTION = "reviewed-db";
let key = "";

test.describe.configure({ mode: "serial" });
test.use({ storageState: storageStateFor("approver") });

// Holds statements for review: the shared queue is this file's until it ends (support/review-queue.ts).
let releaseQueue = () => {};
test.beforeAll(async () => {
  releaseQueue = await takeReviewQueue();
});
test.afterAll(() => releaseQueue());

test.beforeAll(async ({ cli, stack }) => {
  const add = await cli("connections", "add", CONNECTION, "--type", "postgres", "--url", stack.targetUrl);
  if (add.code !== 0 && !add.stderr.includes("already exists")) throw new Error(add.stderr);
  await cli("grant", "agents", CONNECTION);
  key = (await cli("keys", "issue", "agent-reviewed", "--groups", "agents")).stdout.trim();
  const file = path.join(tmpdir(), `gatehouse-e2e-reviews-${process.pid}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      defaultAction: "allow",
      rules: [
        { name: "drops-need-a-dba", action: "review", match: { kinds: ["DROP", "TRUNCATE"] }, approvers: ["dba"] },
        { name: "updates-wait-briefly", action: "review", match: { kinds: ["UPDATE"] }, timeoutSeconds: 6 },
      ],
    }),
  );
  const applied = await cli("policies", "apply", CONNECTION, "-f", file);
  rmSync(file, { force: true });
  if (applied.code !== 0) throw new Error(applied.stderr);
  const target = new pg.Client({ connectionString: stack.targetUrl });
  await target.connect();
  await target.query("create table if not exists doomed (id int); create table if not exists kept (id int); insert into kept values (1), (2)");
  await target.end();
  await new Promise((r) => setTimeout(r, 1500)); // the gateway reloads the policy from the bus
});

test("[REVIEWS][APPROVE]: psql's DROP TABLE appears in the approver's queue without a reload; Approve lets it run", async ({ page, psql, shot }) => {
  await page.goto("/reviews");
  await expect(page.getByText("Nothing is waiting for approval")).toBeVisible();
  const running = psql(key, CONNECTION, ["-c", "DROP TABLE doomed"]);
  const row = page.getByRole("row", { name: /DROP TABLE doomed/ });
  await expect(row).toBeVisible();
  await shot(page, "reviews-queue");
  await row.getByRole("link", { name: "Review" }).click();
  await expect(page.getByText("members of dba")).toBeVisible();
  await expect(page.getByText("agent-reviewed (agents)")).toBeVisible();
  await shot(page, "review-detail");
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("approved", { exact: true })).toBeVisible();
  const r = await running;
  expect(r.stderr).toContain("Gatehouse is holding this DROP TABLE for approval: http://localhost:");
  expect(r.stdout.trim()).toBe("DROP TABLE");
});

test("[REVIEWS][LANDING]: an approver signing in while something waits lands on Reviews, and the navigation counts what waits", async ({ browser, psql, stack, shot }) => {
  const running = psql(key, CONNECTION, ["-c", "TRUNCATE kept"]);
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const approver = stack.accounts.approver;
  await expect(async () => {
    await page.goto("/sign-in");
    await page.getByLabel("E-mail").fill(approver.email);
    await page.getByLabel("Password").fill(approver.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(/\/reviews$/, { timeout: 6000 });
  }).toPass({ timeout: 40_000 }); // the held statement reaches the gateway's hold a moment after psql starts (after a catalog read), and sign-in is slow on a loaded machine
  const nav = page.getByRole("navigation", { name: "Console" }).first();
  await expect(nav.getByLabel("1 waiting for a decision")).toBeVisible();
  await shot(page, "reviews-landing-approver");
  await page
    .getByRole("row", { name: /TRUNCATE kept/ })
    .getByRole("link", { name: "Review" })
    .click();
  await page.getByLabel("Reason").fill("not now");
  await page.getByRole("button", { name: "Reject" }).click();
  await expect(page.getByText("rejected", { exact: true })).toBeVisible();
  await running;
  await expect(nav.getByLabel(/waiting for a decision/)).toHaveCount(0, { timeout: 15_000 });
  await context.close();
});

test("[REVIEWS][REJECT]: the approver's reason reaches psql as an error and the table stays", async ({ page, psql, stack }) => {
  const running = psql(key, CONNECTION, ["-c", "truncate kept"]);
  await page.goto("/reviews");
  await page
    .getByRole("row", { name: /truncate kept/ })
    .getByRole("link", { name: "Review" })
    .click();
  await page.getByRole("button", { name: "Reject" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "say why you reject it" })).toBeVisible();
  await page.getByLabel("Reason").fill("kept is the audit table; ask #data first");
  await page.getByRole("button", { name: "Reject" }).click();
  await expect(page.getByText("rejected", { exact: true })).toBeVisible();
  const r = await running;
  expect(r.stderr).toContain("ERROR:  Gatehouse did not run this TRUNCATE: rejected by approver@example.test: kept is the audit table; ask #data first");
  const target = new pg.Client({ connectionString: stack.targetUrl });
  await target.connect();
  expect((await target.query("select count(*)::int as n from kept")).rows[0].n).toBe(2);
  await target.end();
});

test("[REVIEWS][TIMEOUT]: with no decision the client gets an error and the review shows as timed out", async ({ page, psql }) => {
  const started = Date.now();
  const r = await psql(key, CONNECTION, ["-c", "update kept set id = id + 1"]);
  expect(r.stderr).toContain("Gatehouse did not run this UPDATE: nobody approved it in time");
  expect(Date.now() - started).toBeGreaterThan(5000);
  await page.goto("/reviews");
  await page.getByRole("tab", { name: "Decided" }).click();
  await expect(page.getByRole("row", { name: /update kept/ }).getByText("timed out")).toBeVisible();
});

test("[REVIEWS][ROLES]: an auditor cannot open the queue, and the decide procedure refuses them", async ({ browser }) => {
  const context = await browser.newContext({ storageState: storageStateFor("auditor") });
  const page = await context.newPage();
  await page.goto("/reviews");
  await expect(page.getByText("You cannot open this page")).toBeVisible();
  const res = await page.request.post("/api/trpc/reviews.decide", {
    data: { json: { id: "00000000-0000-0000-0000-000000000000", decision: "approve" } },
  });
  expect(res.status()).toBe(403);
  await context.close();
});
