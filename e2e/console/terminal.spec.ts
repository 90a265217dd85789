import type { Page } from "@playwright/test";
import { expect, signInLocal, storageStateFor, test } from "./support/fixtures";
import { eq } from "drizzle-orm";
import { identities } from "../../drizzle/schema/index";
import { addPerson, linkIdentity } from "./support/people";
import { openStackDb } from "./support/seed-recording";
import { litPixelsOf } from "./support/terminal-pixels";

type AuditRow = { action: string; outcome: string; identityName: string | null; connectionName: string | null; statement: string | null; message: string | null };

// Next's route announcer is an (empty) alert too, so the message picks the one meant.
const alert = (page: Page, text: string) => page.getByRole("alert").filter({ hasText: text });
const rows = (page: Page) => page.getByTestId("browser-terminal").locator(".xterm-rows");

test("[TERMINAL][PSQL]: a linked person opens psql in the browser, runs a query through the gateway, quits, and reconnects", async ({ browser, cli, stack, shot }) => {
  await cli("connections", "add", "term-pg", "--type", "postgres", "--url", stack.targetUrl);
  await cli("connections", "add", "term-idp-pg", "--type", "postgres", "--url", stack.targetUrl);
  await cli("connections", "add", "term-secret", "--type", "postgres", "--url", stack.targetUrl);
  await cli("keys", "issue", "term-pat", "--groups", "term-ops");
  await cli("grant", "term-ops", "term-pg");
  await cli("grant", "term-idp", "term-idp-pg"); // reached through the account's IdP groups, not a membership
  await cli("grant", "term-nobody", "term-secret");
  const password = await addPerson(stack, "pat.terminal@example.test", ["term-idp"]);
  await linkIdentity(browser, "pat.terminal@example.test", "term-pat");
  const admin = await browser.newContext({ storageState: storageStateFor("admin") });
  const ap = await admin.newPage();
  await ap.goto("/connections");
  await expect(ap.getByRole("link", { name: "Open terminal on term-pg" })).toHaveAttribute("href", "/terminal/term-pg");
  await admin.close();

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInLocal(page, "pat.terminal@example.test", password);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Terminal" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Terminal" })).toBeVisible();
  await expect(page.getByText("Terminals run as term-pat")).toBeVisible();
  const list = page.getByRole("list", { name: "Connections you may open a terminal on" });
  await expect(list.getByRole("listitem")).toHaveText([/^term-idp-pg/, /^term-pg/]); // never term-secret
  await expect(list.getByRole("listitem").filter({ hasText: "term-idp-pg" }).getByText("term-idp", { exact: true })).toBeVisible();
  await expect(list.getByText("term-secret")).toHaveCount(0);
  await shot(page, "laptop-terminal-list");

  await list.getByRole("link", { name: "Open terminal on term-pg" }).click();
  await expect(page).toHaveURL(/\/terminal\/term-pg$/);
  await expect(page.getByRole("status").filter({ hasText: "Connected as term-pat to term-pg" })).toBeVisible();
  await expect(rows(page)).toContainText("term-pg=>");
  await page.getByTestId("browser-terminal").click();
  await page.keyboard.type("select 6 * 7 as answer;");
  await page.keyboard.press("Enter");
  await expect(rows(page)).toContainText("(1 row)");
  expect(await rows(page).textContent()).toMatch(/answer\s*-+\s*42\s*\(1 row\)/);
  // The terminal fills the content column at this width (fitted, not the 80 columns xterm starts with).
  const width = await page
    .getByTestId("browser-terminal")
    .locator(".xterm-screen")
    .evaluate((e) => e.getBoundingClientRect().width);
  expect(width).toBeGreaterThan(900);
  // Glyphs that reach below the baseline show: underscores light pixels in their cells, where as many
  // spaces light none (a line height that clipped them showed tok_abc as "tok abc").
  const run = "_".repeat(12);
  await page.keyboard.type(`-- x${run}y`);
  await expect(rows(page)).toContainText(`x${run}y`);
  const underscores = await litPixelsOf(page, run);
  expect(await litPixelsOf(page, "-- x"), "lit pixels of letters (the measure itself works)").toBeGreaterThan(0);
  await shot(page, "laptop-terminal-underscores");
  await page.keyboard.press("Control+U");
  await page.keyboard.type(`-- x${" ".repeat(12)}y`);
  // toContainText collapses white space: wait for the exact line, or the spaces may not be drawn yet.
  await expect.poll(async () => (await rows(page).textContent())?.includes(`x${" ".repeat(12)}y`)).toBe(true);
  const spaces = await litPixelsOf(page, " ".repeat(12));
  await page.keyboard.press("Control+U");
  expect(spaces, "spaces light no pixel").toBe(0);
  expect(underscores, "lit pixels of twelve underscores").toBeGreaterThan(12 * 4);
  await shot(page, "laptop-terminal-psql");

  // Backslash commands are off (psql runs on the gateway's host); Ctrl-D quits.
  await page.keyboard.type("\\! echo escaped");
  await page.keyboard.press("Enter");
  await expect(rows(page)).toContainText("backslash commands are restricted");
  await expect(page.getByText("its backslash commands")).toBeVisible();
  await page.keyboard.press("Control+D");
  await expect(page.getByRole("status").filter({ hasText: "Exited (code 0)" })).toBeVisible();
  // The console audited the opening, and the statement went through the gateway as the person's identity.
  const audit = async () =>
    (await cli("audit", "list", "--json")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditRow);
  await expect
    .poll(async () => (await audit()).filter((e) => e.action === "console.terminal.open" && e.identityName === "pat.terminal@example.test").map((e) => [e.outcome, e.connectionName]))
    .toEqual([["ok", "term-pg"]]);
  await expect.poll(async () => (await audit()).some((e) => e.identityName === "term-pat" && e.connectionName === "term-pg" && e.statement === "select 6 * 7 as answer;")).toBe(true);

  await page.getByRole("button", { name: "Reconnect" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Connected as term-pat to term-pg" })).toBeVisible();
  await expect(rows(page)).toContainText("term-pg=>");

  // A connection that exists but none of the person's groups is granted: refused before any socket, with why.
  await page.goto("/terminal/term-secret");
  await expect(alert(page, "You may not use term-secret: none of your groups (term-idp, term-ops) is granted it")).toBeVisible();
  await shot(page, "laptop-terminal-refused");
  await expect(page.getByRole("button", { name: "Reconnect" })).toBeVisible();
  await page.goto("/terminal/no-such-db");
  await expect(alert(page, 'There is no connection named "no-such-db"')).toBeVisible();
  await context.close();

  await expect
    .poll(async () => (await audit()).filter((e) => e.action === "console.terminal.open" && e.outcome === "denied" && e.identityName === "pat.terminal@example.test").map((e) => e.connectionName))
    .toEqual(["term-secret", "no-such-db"]);

  // An auditor goes from the psql session's statement timeline to the terminal's recording.
  const sessions = (await cli("sessions", "list", "--json")).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: string; protocol: string; identityName: string; clientApp: string | null });
  const inner = sessions.find((x) => x.protocol === "postgres" && x.identityName === "term-pat" && x.clientApp?.startsWith("gatehouse-terminal-"))!;
  const auditor = await browser.newContext({ storageState: storageStateFor("auditor"), viewport: { width: 1280, height: 900 } });
  const au = await auditor.newPage();
  await au.goto(`/sessions/${inner.id}`);
  await au.getByRole("link", { name: "browser terminal (its recording)" }).click();
  await expect(au).toHaveURL(new RegExp(`/sessions/${inner.clientApp!.slice("gatehouse-terminal-".length)}$`));
  await expect(au.getByText("Terminal recording", { exact: true })).toBeVisible();
  await expect(au.getByRole("link", { name: "Export .cast" })).toBeVisible();
  await expect(au.getByText("browser terminal (psql)").first()).toBeVisible();
  await shot(au, "laptop-terminal-session-recording");
  await auditor.close();

  // At phone width the list and the terminal fit without the page scrolling sideways.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const pp = await phone.newPage();
  await signInLocal(pp, "pat.terminal@example.test", password);
  for (const target of ["/terminal", "/terminal/term-pg"]) {
    await pp.goto(target);
    if (target === "/terminal/term-pg") await expect(rows(pp)).toContainText("term-pg=>");
    else await expect(pp.getByRole("link", { name: "Open terminal on term-pg" })).toBeVisible();
    const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${target} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
    await shot(pp, target === "/terminal" ? "phone-terminal-list" : "phone-terminal-psql");
  }
  await phone.close();
});

test("[TERMINAL][UNLINKED]: a person whose account has no gateway identity is told to ask an admin, without a terminal to reconnect", async ({ browser, stack, shot }) => {
  const password = await addPerson(stack, "nolink.terminal@example.test");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInLocal(page, "nolink.terminal@example.test", password);
  await page.goto("/terminal");
  await expect(page.getByText("Your account is not linked to a gateway identity")).toBeVisible();
  await expect(page.getByText("Ask an admin to create your gateway identity, or to link one to your account, on the Console users page.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create my gateway identity" })).toHaveCount(0);
  await shot(page, "laptop-terminal-unlinked");
  // Going straight to a terminal says the same instead of opening a socket that fails.
  await page.goto("/terminal/term-pg");
  await expect(page.getByText("Ask an admin to create your gateway identity")).toBeVisible();
  await expect(page.getByTestId("browser-terminal")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reconnect" })).toHaveCount(0);
  await context.close();
});

test("[TERMINAL][OWN-IDENTITY]: an unlinked admin creates a person identity of their own in one click, audited, and opens a terminal as it", async ({ browser, cli, stack, shot }) => {
  const email = "ida.admin@example.test";
  const password = await addPerson(stack, email, ["own-ops"], "admin");
  await cli("connections", "add", "own-pg", "--type", "postgres", "--url", stack.targetUrl);
  await cli("grant", "own-ops", "own-pg");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInLocal(page, email, password);
  await page.goto("/terminal/own-pg");
  await expect(page.getByRole("main").getByRole("link", { name: "Console users" })).toHaveAttribute("href", "/users");
  await expect(page.getByRole("button", { name: "Reconnect" })).toHaveCount(0);
  for (const width of [1280, 1024, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await shot(page, `terminal-own-identity-offer-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("button", { name: "Create my gateway identity" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Person identity ${email} created and linked to your account.` })).toBeVisible();
  // The page reloads its data: the terminal opens as the new person identity, with the account's groups.
  await expect(page.getByRole("status").filter({ hasText: `Connected as ${email} to own-pg` })).toBeVisible();
  await expect(page.getByTestId("browser-terminal").locator(".xterm-rows")).toContainText("own-pg=>");
  // The confirmation stays beside the terminal (it used to vanish with the offer, as the page re-rendered linked).
  await expect(page.getByRole("status").filter({ hasText: `Person identity ${email} created and linked to your account.` })).toBeVisible();
  await page.goto("/terminal");
  await expect(page.getByText(`Terminals run as ${email}, in own-ops.`)).toBeVisible();
  await context.close();

  const audit = (await cli("audit", "list", "--json")).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as AuditRow);
  expect(audit.filter((e) => e.action === "console.identity.create" && e.identityName === email).map((e) => [e.outcome, e.message])).toEqual([["ok", `person identity ${email} created for ${email}`]]);
  expect(audit.some((e) => e.action === "console.user.update" && e.message === `${email}: linked to ${email}`)).toBe(true);
  // A person, apart from the agents.
  const handle = openStackDb(stack.env.DATABASE_URL);
  const made = await handle.db
    .select()
    .from(identities)
    .where(eq(identities.name, email))
    .finally(() => handle.close());
  expect(made.map((i) => [i.kind, i.email])).toEqual([["person", email]]);
});
