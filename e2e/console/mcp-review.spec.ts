import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { and, desc, eq } from "drizzle-orm";
import { auditEvents } from "../../drizzle/schema/index";
import { callTool, connectMcp, structured } from "../mcp/mcp-client";
import { expect, stackInfo, storageStateFor, test } from "./support/fixtures";
import { takeReviewQueue } from "./support/review-queue";
import { openStackDb } from "./support/seed-recording";

// The scenario end to end: an agent's official MCP SDK client asks the gateway's /mcp `query`
// tool for a DROP TABLE; a review rule holds it and the tool answers "pending approval" at once; the
// approver approves it in the browser; `review_wait` then returns the result, and only then is the
// table gone from the real Postgres behind the console stack's gateway.
const CONNECTION = "mcp-reviewed-db";
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
  await cli("grant", "mcp-agents", CONNECTION);
  key = (await cli("keys", "issue", "mcp-agent-reviewed", "--groups", "mcp-agents")).stdout.trim();
  const file = path.join(tmpdir(), `gatehouse-e2e-mcp-review-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ defaultAction: "allow", rules: [{ name: "mcp-drops-reviewed", action: "review", match: { kinds: ["DROP"] } }] }));
  const applied = await cli("policies", "apply", CONNECTION, "-f", file);
  rmSync(file, { force: true });
  if (applied.code !== 0) throw new Error(applied.stderr);
  const target = new pg.Client({ connectionString: stack.targetUrl });
  await target.connect();
  await target.query("create table if not exists mcp_doomed (id int)");
  await target.end();
  await new Promise((r) => setTimeout(r, 1500)); // the gateway reloads the policy from the bus
});

const tableExists = async (url: string) => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query("select to_regclass('public.mcp_doomed') is not null as e")).rows[0].e as boolean;
  } finally {
    await c.end();
  }
};

test("[REVIEWS][MCP]: a DROP TABLE through the MCP query tool waits for the approver's click, then review_wait returns its result", async ({ page, browser, stack, shot }) => {
  const client = await connectMcp(new URL(`http://127.0.0.1:${stack.gatewayHttpPort}/mcp`), key);
  try {
    const held = await callTool(client, "query", { connection: CONNECTION, sql: "DROP TABLE mcp_doomed" });
    const pending = structured(held) as { status: string; reviewId: string; link: string };
    expect(pending.status).toBe("pending_approval");
    expect(await tableExists(stack.targetUrl)).toBe(true);

    await page.goto(new URL(pending.link).pathname);
    await expect(page.getByText("DROP TABLE mcp_doomed").first()).toBeVisible();
    await expect(page.getByText("mcp-agent-reviewed (mcp-agents)")).toBeVisible();
    await shot(page, "mcp-review-detail");
    await page.getByRole("button", { name: "Approve" }).click();
    await expect(page.getByText("approved", { exact: true })).toBeVisible();

    const done = await callTool(client, "review_wait", { reviewId: pending.reviewId }, { timeout: 60_000 });
    expect(done.isError, JSON.stringify(done)).toBeFalsy();
    expect((structured(done) as { results: Array<{ command: string }> }).results[0].command).toBe("DROP");
    expect(await tableExists(stack.targetUrl)).toBe(false);
  } finally {
    await client.close();
  }

  // The client's session on /mcp: its timeline is its tool calls, each naming the connection it reached
  // (a session is a client TCP connection: the SDK may send a later call on another one, another session).
  const handle = openStackDb(stackInfo().env.DATABASE_URL);
  try {
    // The session of the connection the query call came on.
    const sessionId = async () =>
      (
        await handle.db
          .select({ id: auditEvents.sessionId })
          .from(auditEvents)
          .where(and(eq(auditEvents.action, "mcp.tool.call"), eq(auditEvents.statementKind, "query"), eq(auditEvents.identityName, "mcp-agent-reviewed")))
          .orderBy(desc(auditEvents.id))
          .limit(1)
      )[0]?.id;
    await expect.poll(sessionId, { timeout: 10_000 }).toBeTruthy();
    // An auditor reads sessions (an approver may not).
    const auditor = await browser.newContext({ storageState: storageStateFor("auditor") });
    const page = await auditor.newPage();
    await page.goto(`/sessions/${(await sessionId())!}`);
    const calls = page.getByTestId("mcp-call");
    await expect(calls.first()).toBeVisible({ timeout: 15_000 });
    await expect(calls.filter({ hasText: "query" }).first()).toContainText(`on ${CONNECTION}`);
    await expect(calls.filter({ hasText: "query" }).first()).toContainText("DROP TABLE mcp_doomed");
    await expect(page.getByText("/mcp · mcp")).toBeVisible();
    await shot(page, "mcp-client-session");
    await auditor.close();
  } finally {
    await handle.close();
  }
});
