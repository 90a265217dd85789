import { readFile } from "node:fs/promises";
import { and, sql } from "drizzle-orm";
import type { Db, DbHandle } from "../../drizzle/client";
import { auditEvents } from "../../drizzle/schema/index";
import { Recorder } from "../../core/recordings/recorder";
import { expect, stackInfo, storageStateFor, test } from "./support/fixtures";
import { closeSessionRow, createSessionRow, openStackDb } from "./support/seed-recording";

test.use({ storageState: storageStateFor("auditor") });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEADER = { width: 80, height: 24, title: "agent-replay @ ssh-replay", env: { TERM: "xterm-256color", SHELL: "/bin/bash" } };

let handle: DbHandle;
let db: Db;
test.beforeAll(() => {
  handle = openStackDb(stackInfo().env.DATABASE_URL);
  db = handle.db;
});
test.afterAll(() => handle.close());

/** A finished SSH session recorded by the real Recorder over ~2.5 s, with its typed command in the audit. */
async function recordSession(): Promise<string> {
  const id = await createSessionRow(db, { identity: "agent-replay", connection: "ssh-replay" });
  const rec = await Recorder.start(db, id, HEADER);
  rec.output("Welcome to the replay host\r\n$ ");
  await sleep(1200);
  const typedAt = new Date();
  rec.input("echo hello from the recording\r");
  rec.output("echo hello from the recording\r\nhello from the recording\r\n$ ");
  await db
    .insert(auditEvents)
    .values({ at: typedAt, action: "command", outcome: "ok", sessionId: id, identityName: "agent-replay", connectionName: "ssh-replay", protocol: "ssh", statement: "echo hello from the recording" });
  // A password typed at sudo's prompt: the gateway audits the line without its text (gateway/pipeline/shell-lines/secret-prompt.ts).
  await db.insert(auditEvents).values({
    at: new Date(),
    action: "command",
    outcome: "ok",
    sessionId: id,
    identityName: "agent-replay",
    connectionName: "ssh-replay",
    protocol: "ssh",
    statement: null,
    message: "typed at a password prompt: not stored",
  });
  await sleep(1300);
  rec.resize(100, 30);
  // A colour change in the middle of the words: search must see "later output" as one phrase.
  rec.output("\x1b[1;33mlater \x1b[0moutput after the resize\r\n$ ");
  await rec.close();
  await closeSessionRow(db, id);
  return id;
}

test("[SESSIONS][REPLAY]: an auditor plays a recorded SSH session, seeks from a command and a search match, and exports a valid .cast", async ({ page, browser, shot }) => {
  const id = await recordSession();
  await page.goto(`/sessions/${id}`);
  const player = page.getByTestId("recording-player");
  const screen = player.locator(".ap-term");
  await expect(player.locator(".ap-player")).toBeVisible();

  await player.click();
  await expect(screen).toContainText("hello from the recording");
  await expect(screen).toContainText("output after the resize");

  // The command sits at ~1.2 s: the screen goes back to before the later output.
  await page
    .getByRole("list", { name: "Commands" })
    .getByRole("button", { name: /echo hello from the recording/ })
    .click();
  await expect(screen).toContainText("Welcome to the replay host");
  await expect(screen).not.toContainText("output after the resize");
  await expect(player.locator(".ap-time-elapsed, .ap-timer").first()).toContainText("00:01");
  // A line typed at a password prompt is listed by why its text is missing.
  await expect(page.getByRole("list", { name: "Commands" })).toContainText("(typed at a password prompt: not stored)");

  const search = page.getByLabel("Search the output");
  await search.fill("hello from the RECORDING");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const matches = page.getByRole("list", { name: "Matches" });
  await expect(matches.getByRole("button")).toHaveCount(2);
  await search.fill("later output");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(matches.getByRole("button")).toHaveCount(1);
  await expect(matches).toContainText("later output after the resize");
  await matches.getByRole("button").click();
  await expect(screen).toContainText("output after the resize");
  await shot(page, "session-replay-laptop");

  // A new speed starts a new player at the same moment.
  const before = await player.locator(".ap-player").elementHandle();
  await page.getByLabel("Speed").selectOption("4");
  await expect.poll(() => before!.evaluate((el) => el.isConnected)).toBe(false);
  await expect(screen).toContainText("output after the resize");
  await page
    .getByRole("list", { name: "Commands" })
    .getByRole("button", { name: /echo hello from the recording/ })
    .click();
  await expect(screen).not.toContainText("output after the resize");

  const response = await page.request.get(`/api/sessions/${id}/recording`);
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("application/x-asciicast");
  expect(response.headers()["content-disposition"]).toBe(`attachment; filename="session-${id}.cast"`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export .cast" }).click()]);
  expect(download.suggestedFilename()).toBe(`session-${id}.cast`);
  const text = await readFile(await download.path(), "utf8");
  expect(text).toBe(await response.text());
  const lines = text.split("\n");
  expect(lines.pop(), "the file ends with a newline").toBe("");
  expect(JSON.parse(lines[0])).toMatchObject({ version: 2, width: 80, height: 24, title: HEADER.title, env: HEADER.env, timestamp: expect.any(Number) });
  const events = lines.slice(1).map((line) => JSON.parse(line) as [number, string, string]);
  let last = 0;
  for (const [t, code, data] of events) {
    expect(typeof t === "number" && t >= last, `event times go forward (${t} after ${last})`).toBe(true);
    expect(["o", "i", "r"]).toContain(code);
    expect(typeof data).toBe("string");
    last = t;
  }
  expect(events.some(([, code, data]) => code === "o" && data.includes("hello from the recording"))).toBe(true);
  expect(events).toContainEqual([expect.any(Number), "i", "echo hello from the recording\r"]);
  expect(events).toContainEqual([expect.any(Number), "r", "100x30"]);

  const audited = await db
    .select({ action: auditEvents.action, actor: auditEvents.identityName })
    .from(auditEvents)
    .where(and(sql`${auditEvents.action} like 'console.session.%'`, sql`${auditEvents.details}->>'target' = ${id}`));
  const auditor = stackInfo().accounts.auditor.email;
  expect(audited.filter((a) => a.action === "console.session.export")).toEqual([
    { action: "console.session.export", actor: auditor },
    { action: "console.session.export", actor: auditor },
  ]);
  expect(audited.some((a) => a.action === "console.session.replay")).toBe(true);

  const phone = await browser.newContext({ storageState: storageStateFor("auditor"), viewport: { width: 390, height: 900 } });
  const small = await phone.newPage();
  await small.goto(`/sessions/${id}`);
  await expect(small.getByTestId("recording-player").locator(".ap-player")).toBeVisible();
  // Seeking before ever pressing play shows that moment's screen.
  await small
    .getByRole("list", { name: "Commands" })
    .getByRole("button", { name: /echo hello from the recording/ })
    .click();
  await expect(small.getByTestId("recording-player").locator(".ap-term")).toContainText("Welcome to the replay host");
  await expect(small.getByTestId("recording-player").locator(".ap-term")).not.toContainText("output after the resize");
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `the session page scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
  await shot(small, "session-replay-phone");
  await phone.close();
});

test("[SESSIONS][REPLAY][NONE]: a Postgres session says plainly it has no terminal recording; the route answers 404, and 403 to a member", async ({ page, browser }) => {
  const id = await createSessionRow(db, { identity: "agent-sql", connection: "pg-replay", protocol: "postgres", active: false });
  await page.goto(`/sessions/${id}`);
  await expect(page.getByText("No terminal recording: this is a PostgreSQL session")).toBeVisible();
  await expect(page.getByRole("link", { name: "Export .cast" })).toHaveCount(0);
  const missing = await page.request.get(`/api/sessions/${id}/recording`);
  expect(missing.status()).toBe(404);
  expect((await missing.json()).error).toContain("has no terminal recording");

  const member = await browser.newContext({ storageState: storageStateFor("member") });
  const refused = await member.request.get(`${stackInfo().consoleUrl}/api/sessions/${id}/recording`);
  expect(refused.status()).toBe(403);
  await member.close();
});

test("[SESSIONS][LIVE]: a running session's output appears live, the admin's kill button is beside it, and the player takes over when it ends", async ({ page, browser, shot }) => {
  const id = await createSessionRow(db, { identity: "agent-live-term", connection: "ssh-live" });
  const rec = await Recorder.start(db, id, { ...HEADER, title: "agent-live-term @ ssh-live" });
  try {
    rec.output("live line one\r\n$ ");
    await page.goto(`/sessions/${id}`);
    const live = page.getByTestId("live-terminal");
    await expect(live).toContainText("live line one");
    await expect(page.getByRole("button", { name: "Kill session…" })).toHaveCount(0);
    rec.output("second line appears live\r\n$ ");
    await expect(live).toContainText("second line appears live", { timeout: 5000 });
    // Written now, not at the end: the player replays in real time, and the checks below take many
    // seconds on a loaded machine; the replay should reach these words a moment after the second line.
    rec.output("last words\r\n");
    await shot(page, "session-live-laptop");
    const phone = await browser.newContext({ storageState: storageStateFor("auditor"), viewport: { width: 390, height: 900 } });
    const small = await phone.newPage();
    await small.goto(`/sessions/${id}`);
    await expect(small.getByTestId("live-terminal")).toContainText("second line appears live");
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `the live view scrolls the page sideways by ${overflow}px`).toBeLessThanOrEqual(1);
    await shot(small, "session-live-phone");
    await phone.close();

    const admin = await browser.newContext({ storageState: storageStateFor("admin") });
    const adminPage = await admin.newPage();
    await adminPage.goto(`/sessions/${id}`);
    const liveCard = adminPage.locator("section", { has: adminPage.getByRole("heading", { name: "Live terminal" }) });
    await expect(liveCard.getByRole("button", { name: "Kill session…" })).toBeVisible();
    await expect(liveCard.getByTestId("live-terminal")).toContainText("second line appears live");
    await admin.close();
  } finally {
    await rec.close();
    await closeSessionRow(db, id);
  }
  await expect(page.getByRole("heading", { name: "Terminal recording" })).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId("live-terminal")).toHaveCount(0);
  const player = page.getByTestId("recording-player");
  // The player is imported when the page has the recording: a click on its box before it is there
  // starts nothing (CI's run clicked too early on a loaded machine and waited on a blank terminal).
  await expect(player.locator(".ap-player")).toBeVisible();
  await player.click();
  await expect(player.locator(".ap-term")).toContainText("last words", { timeout: 30_000 });
});
