import { and, eq } from "drizzle-orm";
import { auditEvents, sessions } from "../../drizzle/schema/index";
import { expect, signInLocal, stackInfo, storageStateFor, test } from "./support/fixtures";
import { addPerson, linkIdentity } from "./support/people";
import { createSessionRow, openStackDb } from "./support/seed-recording";

// Issue 21 item 6: a session says what it did in its protocol's words, and a browser terminal closed
// with its tab ended as the person closing it.
test("[SESSIONS][ACTIVITY]: a browser psql terminal closed with its tab is closed by the person, counts its commands and bytes; SSH sessions count commands", async ({ browser, cli, stack, shot }) => {
  await cli("connections", "add", "act-pg", "--type", "postgres", "--url", stack.targetUrl);
  await cli("keys", "issue", "act-ada", "--groups", "act-ops");
  await cli("grant", "act-ops", "act-pg");
  const password = await addPerson(stack, "ada.activity@example.test");
  await linkIdentity(browser, "ada.activity@example.test", "act-ada");

  // An SSH session with three audited commands (as the SSH listener writes them).
  const handle = openStackDb(stackInfo().env.DATABASE_URL);
  const sshSession = await createSessionRow(handle.db, { identity: "act-ssh-agent", connection: "act-ssh", active: false });
  for (const command of ["uptime", "ls -la", "whoami"])
    await handle.db
      .insert(auditEvents)
      .values({ action: "command", outcome: "ok", sessionId: sshSession, protocol: "ssh", identityName: "act-ssh-agent", connectionName: "act-ssh", statement: command });

  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInLocal(page, "ada.activity@example.test", password);
    await page.goto("/terminal/act-pg");
    const rows = page.getByTestId("browser-terminal").locator(".xterm-rows");
    await expect(rows).toContainText("act-pg=>");
    await page.getByTestId("browser-terminal").click();
    for (const n of [1, 2]) {
      await page.keyboard.type(`select ${n} as step;`);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await rows.textContent())?.split("(1 row)").length).toBe(n + 1);
    }
    // The person closes the tab: the terminal and the psql session it opened end as closed, not failed.
    await page.close();
    await context.close();

    const terminal = async () =>
      (
        await handle.db
          .select()
          .from(sessions)
          .where(and(eq(sessions.identityName, "act-ada"), eq(sessions.protocol, "terminal")))
      )[0];
    await expect.poll(async () => (await terminal())?.status, { timeout: 20_000 }).toBe("closed");
    const t = (await terminal())!;
    expect(t.endReason).toBe("closed by the person (the browser terminal was closed)");
    const [inner] = await handle.db
      .select()
      .from(sessions)
      .where(eq(sessions.clientApp, `gatehouse-terminal-${t.id}`));
    await expect.poll(async () => (await handle.db.select().from(sessions).where(eq(sessions.id, inner.id)))[0].status, { timeout: 20_000 }).toBe("closed");
    const [innerEnded] = await handle.db.select().from(sessions).where(eq(sessions.id, inner.id));
    expect(innerEnded.endReason).toBe("client disconnected");

    const auditor = await browser.newContext({ storageState: storageStateFor("auditor"), viewport: { width: 1280, height: 900 } });
    const au = await auditor.newPage();
    await au.goto("/sessions");
    const row = (id: string) => au.locator("tr", { has: au.locator(`a[href="/sessions/${id}"]`) });
    await expect(row(sshSession)).toContainText("3 commands");
    await expect(row(t.id)).toContainText("2 commands");
    await expect(row(inner.id)).toContainText(/\d+ statements/);
    await expect(au.getByRole("columnheader", { name: "Activity" })).toBeVisible();

    await au.goto(`/sessions/${t.id}`);
    const fact = (label: string) => au.locator("dt", { hasText: label }).locator("xpath=following-sibling::dd[1]");
    await expect(fact("End reason")).toHaveText("closed by the person (the browser terminal was closed)");
    await expect(fact("Status")).toHaveText("closed");
    const bytes = fact("Bytes in / out");
    await expect(bytes).not.toHaveText("0 / 0");
    await expect(bytes).toHaveText(/^[1-9][\d,]* \/ [1-9][\d,]*$/);
    const commands = au.getByRole("list", { name: "Commands" });
    await expect(commands).toContainText("select 1 as step;");
    await expect(commands).toContainText("select 2 as step;");
    for (const width of [1280, 1024, 390]) {
      await au.setViewportSize({ width, height: 900 });
      await shot(au, `terminal-session-activity-${width}`);
      await au.goto("/sessions");
      await expect(row(t.id)).toContainText("2 commands");
      await shot(au, `sessions-activity-${width}`);
      await au.goBack();
      await expect(commands).toContainText("select 2 as step;");
    }

    // An SSH session without a recording points to its commands in the timeline.
    await au.goto(`/sessions/${sshSession}`);
    await expect(au.getByText("so what it did is its commands, in the timeline below")).toBeVisible();
    await expect(au.getByRole("table", { name: "Statement timeline" })).toContainText("ls -la");
    await auditor.close();
  } finally {
    await handle.close();
  }
});
