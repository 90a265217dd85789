import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, desc, eq } from "drizzle-orm";
import { sessions } from "../../drizzle/schema/index";
import type { Db, DbHandle } from "../../drizzle/client";
import { CUSTOMERS, startHttpUpstream, type HttpUpstream } from "../support/http-upstream";
import { expect, stackInfo, storageStateFor, test } from "./support/fixtures";
import { openStackDb } from "./support/seed-recording";

// An HTTP connection that keeps bodies in its audit events: a real request through the console
// stack's gateway to a real upstream, then an auditor opens the session page and reads the request
// and response bodies (masked as the client got them) under each request of the timeline.
test.use({ storageState: storageStateFor("auditor") });

const UPSTREAM_SECRET = "console-bodies-secret-81f2";
let upstream: HttpUpstream;
let handle: DbHandle;
let db: Db;
test.beforeAll(async () => {
  upstream = await startHttpUpstream({ check: (req) => req.headers.authorization === `Bearer ${UPSTREAM_SECRET}` });
  handle = openStackDb(stackInfo().env.DATABASE_URL);
  db = handle.db;
});
test.afterAll(async () => {
  await upstream?.stop();
  await handle?.close();
});

test("[SESSIONS][HTTP]: an auditor reads the bodies an HTTP request kept, masked, on its session page", async ({ page, cli, stack, shot }) => {
  const added = await cli("connections", "add", "crm-bodies", "--type", "http", "--url", upstream.url, "--auth", "bearer", "--credential", UPSTREAM_SECRET, "--store-bodies", "4096");
  expect(added.code, added.stderr).toBe(0);
  expect((await cli("grant", "crm-readers", "crm-bodies")).code).toBe(0);
  const rulesFile = path.join(mkdtempSync(path.join(tmpdir(), "gatehouse-bodies-")), "rules.json");
  writeFileSync(rulesFile, JSON.stringify({ detectors: { builtIn: ["email", "payment-card"] } }));
  const rules = await cli("masking", "apply", "crm-bodies", "-f", rulesFile);
  expect(rules.code, rules.stderr).toBe(0);
  const key = (await cli("keys", "issue", "crm-bodies-agent", "--groups", "crm-readers")).stdout.trim();

  const r = await fetch(`http://127.0.0.1:${stack.gatewayHttpPort}/proxy/crm-bodies/customers`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ lookup: "ann.smith@example.com", limit: 2 }),
  });
  expect(r.status).toBe(200);
  expect(await r.text()).not.toContain(CUSTOMERS[0].email);

  const sessionId = async () =>
    (
      await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.protocol, "http"), eq(sessions.identityName, "crm-bodies-agent")))
        .orderBy(desc(sessions.startedAt))
        .limit(1)
    )[0]?.id;
  await expect.poll(sessionId, { timeout: 10_000 }).toBeTruthy();
  await page.goto(`/sessions/${(await sessionId())!}`);
  const bodies = page.getByTestId("http-bodies");
  await expect(bodies).toBeVisible({ timeout: 15_000 });
  await bodies.getByText("Request body").click();
  await bodies.getByText("Response body").click();
  await expect(bodies).toContainText('"lookup": "[REDACTED:email]"');
  await expect(bodies).toContainText("[REDACTED:payment-card]");
  await expect(bodies).toContainText("application/json");
  // Shown as kept, not through a JavaScript number (which would show 12345678901234567000).
  await expect(bodies).toContainText('"cursor": 12345678901234567890');
  for (const c of CUSTOMERS) await expect(bodies).not.toContainText(c.email);
  await shot(page, "http-session-bodies");
});
