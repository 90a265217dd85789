import { expect, pageErrors, stackInfo, storageStateFor, test } from "./support/fixtures";
import { auditEvents } from "../../drizzle/schema/index";
import { inProcessCli } from "../support/in-process-cli";
import { pageOverflow, unheldFirstColumns } from "./support/layout";
import { createSessionRow, openStackDb, seedRecordedSession } from "./support/seed-recording";

const ADMIN_PAGES = [
  "/",
  "/reviews",
  "/access-requests",
  "/connections",
  "/connections/new",
  "/connectors",
  "/guardrails",
  "/masking",
  "/budgets",
  "/access",
  "/agents",
  "/sessions",
  "/audit",
  "/users",
  "/terminal",
  "/ssh-keys",
];

// The page sweeps are the longest tests of the browser run: they spread over the workers (each
// worker that runs one seeds its own rows; the connection is added once, and the other worker's
// failed add is an audit row too).
test.describe.configure({ mode: "parallel" });

// A session page with a terminal recording (the player, its commands and search) is checked too.
let recordedSession = "";
// Long but ordinary names and a long statement, as a real deployment has: the tables must fit or scroll on purpose.
const LONG_CONNECTION = "warehouse-analytics-replica-eu-west-1";
const LONG_IDENTITY = "nightly-reporting-agent-finance-team";
test.beforeAll(async () => {
  const stack = stackInfo();
  const added = await inProcessCli(stack.env)("connections", "add", LONG_CONNECTION, "--type", "postgres", "--url", stack.targetUrl);
  if (added.code !== 0 && !/already exists/i.test(added.stderr)) throw new Error(`connections add ${LONG_CONNECTION}: ${added.stderr}`);
  const handle = openStackDb(stack.env.DATABASE_URL);
  try {
    recordedSession = await seedRecordedSession(handle.db, "agent-layout");
    await createSessionRow(handle.db, { identity: LONG_IDENTITY, connection: LONG_CONNECTION, protocol: "postgres", active: false });
    await handle.db.insert(auditEvents).values({
      action: "statement",
      outcome: "error",
      sqlstate: "57014",
      identityName: LONG_IDENTITY,
      connectionName: LONG_CONNECTION,
      statement:
        "select customer_id, sum(amount_cents) as lifetime_value_cents from billing.invoice_line_items where created_at > now() - interval '90 days' group by customer_id order by lifetime_value_cents desc",
      message: "canceling statement due to statement timeout",
    });
  } finally {
    await handle.close();
  }
});

// Every page renders for its role at laptop and phone widths, with a heading and without the page
// itself scrolling sideways (wide tables scroll inside their own box). The screenshots are for people.
for (const [width, label] of [
  [1280, "laptop"],
  [1024, "tablet"],
  [390, "phone"],
] as const) {
  test(`[LAYOUT][${label.toUpperCase()}]: every admin page renders at ${width}px`, async ({ browser, shot }) => {
    // A person whose browser is elsewhere than the server (another time zone and language): what the server rendered must match the browser's first render.
    const context = await browser.newContext({ storageState: storageStateFor("admin"), viewport: { width, height: 900 }, timezoneId: "Asia/Kolkata", locale: "de-DE" });
    const errors = pageErrors(context);
    const page = await context.newPage();
    const sessionPage = `/sessions/${recordedSession}`;
    for (const path of [sessionPage, ...ADMIN_PAGES]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      if (path === sessionPage) await expect(page.getByTestId("recording-player").locator(".ap-player")).toBeVisible();
      await expect(page.getByText("Something went wrong")).toHaveCount(0);
      const overflow = await pageOverflow(page);
      expect(overflow, `${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
      // A table too wide for the page scrolls in its own box, its first column held in view.
      expect(await unheldFirstColumns(page), `${path}: tables whose first column scrolls away`).toEqual([]);
      await shot(page, `${label}-${path === "/" ? "overview" : path === sessionPage ? "session-recorded" : path.slice(1).replace(/\//g, "-")}`);
    }
    expect(errors, "errors thrown in the pages (a hydration mismatch among them)").toEqual([]);
    if (label === "phone") {
      await page.getByRole("button", { name: "Menu" }).click();
      await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
      await page.getByRole("link", { name: "Audit log" }).click();
      await expect(page).toHaveURL(/\/audit$/);
    }
    await context.close();
  });
}

// The Overview's hydration failed (#418) on a few loads in a hundred when the rows of its audit table
// reached the browser in a later chunk of React's payload than the table: load it again and again.
test("[LAYOUT][HYDRATION]: the Overview, with audit events, hydrates without an error load after load", async ({ browser }) => {
  const context = await browser.newContext({ storageState: storageStateFor("admin"), viewport: { width: 390, height: 900 }, timezoneId: "America/Los_Angeles", locale: "fr-FR" });
  const errors = pageErrors(context);
  const page = await context.newPage();
  for (let i = 0; i < 60 && errors.length === 0; i++) {
    await page.goto("/");
    await expect(page.getByRole("table", { name: "Latest audit events" }).locator("tbody tr").first()).toBeVisible();
  }
  expect(errors, "errors thrown while the Overview hydrated").toEqual([]);
  await context.close();
});

test("[LAYOUT][MEMBER]: a member sees a welcome, the access-request form, and no admin sections", async ({ browser, shot }) => {
  const context = await browser.newContext({ storageState: storageStateFor("member") });
  const errors = pageErrors(context);
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByText("You are signed in as a member")).toBeVisible();
  await expect(page.getByRole("link", { name: "Sessions" })).toHaveCount(0);
  await shot(page, "member-overview");
  await page.goto("/sessions");
  await expect(page.getByText("You cannot open this page")).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});
