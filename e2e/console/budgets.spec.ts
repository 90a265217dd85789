import pg from "pg";
import { and, eq, like } from "drizzle-orm";
import { reviews } from "../../drizzle/schema/index";
import { expect, pageErrors, storageStateFor, test } from "./support/fixtures";
import { takeReviewQueue } from "./support/review-queue";
import { openStackDb } from "./support/seed-recording";

// The seeds' bulk export end to end: an admin sets a 1,000-row budget in the console; a key of that
// identity runs `COPY ... TO STDOUT` through the gateway with psql and receives 1,000 rows, then the
// export is held; the approver extends the budget in the browser and the same COPY finishes whole;
// the budgets page then shows the use and the extension.
const CONNECTION = "budget-db";
const TABLE = "budget_export_customers";
let key = "";

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
  await cli("grant", "exporters", CONNECTION);
  key = (await cli("keys", "issue", "nightly-export", "--groups", "exporters")).stdout.trim();
  const target = new pg.Client({ connectionString: stack.targetUrl });
  await target.connect();
  await target.query(`drop table if exists ${TABLE}; create table ${TABLE} (id int, email text); insert into ${TABLE} select g, 'c' || g || '@example.com' from generate_series(1, 1500) g`);
  await target.end();
});

test("[BUDGETS]: an admin sets a budget, the export stops at it, the approver extends it in the browser and the export resumes", async ({ page, browser, psql, stack, shot }) => {
  // The budget's window is the clock hour: a run across its turn would count the rows in two windows.
  const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
  if (toNextHour < 90_000) {
    test.setTimeout(test.info().timeout + toNextHour);
    await new Promise((r) => setTimeout(r, toNextHour + 1000));
  }
  const admin = await browser.newContext({ storageState: storageStateFor("admin") });
  const errors = pageErrors(admin);
  const adminPage = await admin.newPage();
  await adminPage.goto("/budgets");
  await expect(adminPage.getByRole("heading", { name: "Data budgets" })).toBeVisible();
  const form = adminPage.getByRole("form", { name: "Add or replace a budget" });
  await form.getByLabel("Name").fill("nightly-export-hourly");
  await form.getByLabel("Applies to").selectOption("identity");
  await form.getByLabel("Identity").fill("nightly-export");
  await form.getByLabel("Connections").fill(CONNECTION);
  await form.getByLabel("Rows per window").fill("lots");
  await form.getByRole("button", { name: "Save budget" }).click();
  await expect(form.getByText('rows "lots" is not an amount')).toBeVisible();
  await form.getByLabel("Rows per window").fill("1000");
  await form.getByLabel("Past the budget").selectOption("review");
  await form.getByRole("button", { name: "Save budget" }).click();
  await expect(form.getByText("Budget nightly-export-hourly saved")).toBeVisible();
  const budgets = adminPage.getByRole("table", { name: "Budgets" });
  await expect(budgets.getByRole("row", { name: /nightly-export-hourly identity nightly-export budget-db 1,000 rows per hour held for approval/ })).toBeVisible();
  await shot(adminPage, "budgets-set");
  await new Promise((r) => setTimeout(r, 1500)); // the gateway reloads budgets from the bus

  const exporting = psql(key, CONNECTION, ["-c", `COPY ${TABLE} TO STDOUT`]);
  const handle = openStackDb(stack.env.DATABASE_URL);
  let reviewId = "";
  try {
    for (let i = 0; i < 100 && !reviewId; i++) {
      const [r] = await handle.db
        .select({ id: reviews.id })
        .from(reviews)
        .where(and(eq(reviews.status, "pending"), like(reviews.statement, `COPY ${TABLE}%`)));
      if (r) reviewId = r.id;
      else await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    await handle.close();
  }
  expect(reviewId, "the export was held for review").not.toBe("");

  await page.goto(`/reviews/${reviewId}`);
  await expect(page.getByText(`COPY ${TABLE} TO STDOUT`).first()).toBeVisible();
  await expect(page.getByText(/data budget "nightly-export-hourly" exceeded: 1,000 of 1,000 rows/).first()).toBeVisible();
  await expect(page.getByText(/Approving extends the budget: nightly-export may receive 1,000 rows more this hour/)).toBeVisible();
  await shot(page, "budget-review");
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("approved", { exact: true })).toBeVisible();

  const r = await exporting;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1500);
  expect(r.stderr).toContain("Gatehouse is holding this result for approval");

  await adminPage.reload();
  const use = adminPage.getByRole("table", { name: "Use in the current windows" });
  await expect(use.getByRole("row", { name: /nightly-export nightly-export-hourly .* 1,500 \/ 2,000/ })).toBeVisible({ timeout: 15_000 });
  await expect(use.getByText("1,000 rows, 0 bytes")).toBeVisible();
  await shot(adminPage, "budgets-use");
  await admin.close();
  expect(errors).toEqual([]);
});
