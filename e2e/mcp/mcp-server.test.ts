import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { and, eq } from "drizzle-orm";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool as call, connectMcp, structured, textOf as text } from "./mcp-client";
import { auditEvents, heldCallResults } from "../../drizzle/schema/index";
import { deleteExpiredHeldCalls } from "../../core/mcp/held-calls";
import { decideReview } from "../../core/reviews/decide-review";
import { pendingReview } from "../support/pending-review";
import { leaksIn, startMaskedGateway, type MaskedSetup } from "../masking/support/masked-gateway";
import { SEEDED } from "../masking/support/seed";
import { startTestGateway } from "../support/gateway-harness";

let m: MaskedSetup;
let url: URL;
const policyFile = path.join(tmpdir(), `gatehouse-mcp-policy-${process.pid}.json`);
const approver = { email: "dana@example.com", groups: ["dba"] };

const connect = (credential: string): Promise<Client> => connectMcp(url, credential);

async function direct(sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: m.directUrl });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}
const exists = async (table: string) => (await direct(`select to_regclass('${table}') is not null as e`)).rows[0].e as boolean;

function post(body: string, credential = m.key, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${credential}`, ...headers },
    body,
  });
}

/** The mcp.tool.call events of `tool`, once one matching `found` is written (the audit writer batches). */
async function toolEvents(tool: string, found: (e: typeof auditEvents.$inferSelect) => boolean = () => true) {
  const { db } = m.t.gw.deps;
  for (let i = 0; i < 50; i++) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "mcp.tool.call"), eq(auditEvents.statementKind, tool)));
    if (rows.some(found)) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}

beforeAll(async () => {
  m = await startMaskedGateway("mcp-db");
  url = new URL(`http://127.0.0.1:${m.t.gw.ports.http}/mcp`);
  writeFileSync(policyFile, JSON.stringify({ defaultAction: "allow", rules: [{ name: "drops-need-a-dba", action: "review", match: { kinds: ["DROP"] }, approvers: ["dba"] }] }));
  const applied = await m.t.cli("policies", "apply", "mcp-db", "-f", policyFile);
  if (applied.code !== 0) throw new Error(applied.stderr);
  await new Promise((r) => setTimeout(r, 1500));
}, 120_000);
afterAll(async () => {
  await m?.close();
  rmSync(policyFile, { force: true });
});

describe("[MCP] Gatehouse's own MCP server at /mcp", () => {
  it("[AUTH]: the official SDK client signs in with a Gatehouse key; a missing or forged bearer gets 401 with the resource metadata", async () => {
    const client = await connect(m.key);
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(["connection_schema", "connections_list", "exec", "http_request", "kubernetes_request", "query", "review_status", "review_wait"]);
    const listed = structured(await call(client, "connections_list"));
    expect(listed.connections).toEqual([{ name: "mcp-db", type: "postgres", tools: ["connection_schema", "query"] }]);
    await client.close();

    const forged = `gh_${"A".repeat(40)}`;
    await expect(connect(forged)).rejects.toThrow();
    const res = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }), forged);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token"$/);
    const none = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(none.status).toBe(401);
    const metaUrl = /resource_metadata="([^"]+)"/.exec(none.headers.get("www-authenticate") ?? "")![1];
    const meta = (await (await fetch(metaUrl)).json()) as { resource: string; authorization_servers: string[] };
    expect(meta.resource).toBe(url.href);
    expect(meta.authorization_servers).toEqual([]); // no OIDC issuer configured in this gateway
    // The refusal's event is written in the audit writer's next batch: poll.
    const denied = () =>
      m.t.gw.deps.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, "session.denied"), eq(auditEvents.protocol, "mcp")));
    await expect.poll(async () => (await denied()).length, { timeout: 5000 }).toBeGreaterThan(0);
  });

  it("[QUERY]: rows come back masked by the Postgres listener; one mcp.tool.call event and the inner statement's own event", async () => {
    const client = await connect(m.key);
    const r = await call(client, "query", { connection: "mcp-db", sql: "select id, name, email, card, note from customers order by id" });
    expect(r.isError).toBeFalsy();
    const out = structured(r) as { results: Array<{ command: string; rowCount: number; columns: string[]; rows: unknown[][] }>; truncated: boolean };
    expect(out.results[0].command).toBe("SELECT");
    expect(out.results[0].columns).toEqual(["id", "name", "email", "card", "note"]);
    expect(out.results[0].rows.map((row) => row[0])).toEqual([1, 2]);
    expect(out.truncated).toBe(false);
    // Nothing of the seeded personal data reaches the MCP client, in the structured result or its text.
    expect(leaksIn(JSON.stringify(r))).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(SEEDED.email);

    const schema = structured(await call(client, "connection_schema", { connection: "mcp-db", schema: "public" })) as { tables: Array<{ table: string; columns: string[] }> };
    expect(schema.tables.find((t) => t.table === "customers")?.columns).toContain("email text");

    const events = await toolEvents("query");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "ok", protocol: "mcp", identityName: "agent-m", connectionName: "mcp-db" });
    expect(events[0].details).toMatchObject({ tool: "query", arguments: { connection: "mcp-db", sql: "select id, name, email, card, note from customers order by id" } });
    const inner = await m.t.gw.deps.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.protocol, "postgres"), eq(auditEvents.connectionName, "mcp-db")));
    expect(inner.some((e) => e.statement?.startsWith("select id, name, email, card, note from customers"))).toBe(true);
    await client.close();
  });

  it("[AUDIT]: the mcp.tool.call event keeps the arguments with the connection's detectors applied, and the outcome", async () => {
    const client = await connect(m.key);
    const r = await call(client, "query", { connection: "mcp-db", sql: `select id from customers where email = '${SEEDED.email}'` });
    expect(r.isError).toBeFalsy();
    const about = (e: { details: unknown }) => JSON.stringify(e.details).includes("where email =");
    const events = await toolEvents("query", about);
    const event = events.find(about);
    expect(event, JSON.stringify(events.map((e) => e.details))).toBeDefined();
    expect(JSON.stringify(event)).not.toContain(SEEDED.email);
    expect(event).toMatchObject({ outcome: "ok", statement: null, message: "SELECT 1" });
    await client.close();
  });

  it("[CAP]: a large result is cut at 200 rows with a note", async () => {
    const client = await connect(m.key);
    const r = structured(await call(client, "query", { connection: "mcp-db", sql: "select g from generate_series(1, 5000) g" })) as {
      results: Array<{ rowCount: number; rows: unknown[] }>;
      truncated: boolean;
      note: string;
    };
    expect(r.results[0].rows).toHaveLength(200);
    expect(r.results[0].rowCount).toBe(5000);
    expect(r.truncated).toBe(true);
    expect(r.note).toMatch(/200 row\(s\) shown, 4800 more not returned/);
    await client.close();
  });

  it("[HOLD]: a DROP TABLE under a review rule returns pending at once; approved, review_wait returns the result and only then is the table gone", async () => {
    await direct("create table doomed (id int)");
    const client = await connect(m.key);
    const started = Date.now();
    const held = await call(client, "query", { connection: "mcp-db", sql: "DROP TABLE doomed" });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(held.isError).toBeFalsy();
    const pending = structured(held) as { status: string; reviewId: string; link: string };
    expect(pending.status).toBe("pending_approval");
    const review = await pendingReview(m.t.gw.deps.db, "DROP TABLE doomed");
    expect(pending.reviewId).toBe(review.id);
    expect(pending.link).toMatch(new RegExp(`/reviews/${review.id}$`));
    expect(await exists("doomed")).toBe(true);

    // Still pending: review_wait says so when its wait runs out; the table is untouched.
    const still = structured(await call(client, "review_wait", { reviewId: review.id, waitSeconds: 1 }));
    expect(still.status).toBe("pending_approval");
    expect(structured(await call(client, "review_status", { reviewId: review.id })).status).toBe("pending");
    expect(await exists("doomed")).toBe(true);

    const waited = call(client, "review_wait", { reviewId: review.id });
    await new Promise((r) => setTimeout(r, 300));
    await decideReview(m.t.gw.deps.db, { reviewId: review.id, decision: "approve", decider: approver });
    const done = await waited;
    expect(done.isError).toBeFalsy();
    expect((structured(done) as { results: Array<{ command: string }> }).results[0].command).toBe("DROP");
    expect(await exists("doomed")).toBe(false);
    await client.close();
  });

  it("[REJECT]: a rejected review comes back from review_wait as a tool error with the approver's reason; another identity cannot see the review", async () => {
    await direct("create table kept (id int)");
    const client = await connect(m.key);
    const pending = structured(await call(client, "query", { connection: "mcp-db", sql: "drop table kept" })) as { reviewId: string };
    expect(pending.reviewId).toMatch(/^[0-9a-f-]{36}$/);
    const other = await connect(m.exemptKey);
    const foreign = await call(other, "review_wait", { reviewId: pending.reviewId, waitSeconds: 0 });
    expect(foreign.isError).toBe(true);
    expect(text(foreign)).toMatch(/no review .* holds a call of yours/);
    await other.close();
    await decideReview(m.t.gw.deps.db, { reviewId: pending.reviewId, decision: "reject", reason: "not on a Friday", decider: approver });
    const r = await call(client, "review_wait", { reviewId: pending.reviewId });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("rejected by dana@example.com: not on a Friday");
    expect(await exists("kept")).toBe(true);
    await client.close();
  });

  it("[INSTANCES]: a held call waits in the instance that took it; review_wait on another instance reports where, then hands over its result (or its rejection) once it ran", async () => {
    const second = await startTestGateway({ GATEHOUSE_INSTANCE: "mcp-second" }, { shareDatabaseWith: m.t });
    const firstInstance = m.t.env.GATEHOUSE_INSTANCE;
    try {
      await direct("create table elsewhere (id int)");
      const first = await connect(m.key);
      const pending = structured(await call(first, "query", { connection: "mcp-db", sql: "drop table elsewhere" })) as { reviewId: string };
      const there = await connectMcp(new URL(`http://127.0.0.1:${second.gw.ports.http}/mcp`), m.key);
      expect(structured(await call(there, "review_status", { reviewId: pending.reviewId }))).toMatchObject({ status: "pending", resultAvailableHere: false });
      const elsewhere = await call(there, "review_wait", { reviewId: pending.reviewId, waitSeconds: 0 });
      expect(elsewhere.isError).toBeFalsy();
      expect(structured(elsewhere)).toMatchObject({ status: "pending_approval", heldBy: firstInstance });
      // Another identity learns nothing of it there either.
      const other = await connectMcp(new URL(`http://127.0.0.1:${second.gw.ports.http}/mcp`), m.exemptKey);
      expect(text(await call(other, "review_wait", { reviewId: pending.reviewId, waitSeconds: 0 }))).toMatch(/no review .* holds a call of yours/);
      await other.close();
      // Approved while the other instance waits: the call runs where it waits, and its result comes back here.
      const waited = call(there, "review_wait", { reviewId: pending.reviewId, waitSeconds: 20 });
      await new Promise((r) => setTimeout(r, 300));
      await decideReview(m.t.gw.deps.db, { reviewId: pending.reviewId, decision: "approve", decider: approver });
      const handed = await waited;
      expect(handed.isError).toBeFalsy();
      expect(structured(handed).results).toMatchObject([{ command: "DROP" }]);
      expect(await exists("elsewhere")).toBe(false);
      // The instance that held it still hands it out too; it ran once.
      expect(structured(await call(first, "review_wait", { reviewId: pending.reviewId })).results).toMatchObject([{ command: "DROP" }]);
      // Stored sealed: the table holds no readable trace of the result.
      const [row] = await m.t.gw.deps.db.select().from(heldCallResults).where(eq(heldCallResults.reviewId, pending.reviewId));
      expect(row).toMatchObject({ gatewayInstance: firstInstance, tool: "query", connectionName: "mcp-db" });
      expect(row.outcome).not.toMatch(/DROP|elsewhere/);

      // A rejection reaches the other instance as the tool error the holder answered with.
      await direct("create table kept_elsewhere (id int)");
      const second2 = structured(await call(first, "query", { connection: "mcp-db", sql: "drop table kept_elsewhere" })) as { reviewId: string };
      await decideReview(m.t.gw.deps.db, { reviewId: second2.reviewId, decision: "reject", reason: "not today", decider: approver });
      const rejected = await call(there, "review_wait", { reviewId: second2.reviewId, waitSeconds: 20 });
      expect(rejected.isError).toBe(true);
      expect(text(rejected)).toContain("rejected by dana@example.com: not today");
      expect(await exists("kept_elsewhere")).toBe(true);
      // Past its expiry, a row goes at the hourly retention sweep too, though no call is held again; a live one stays.
      const rowOf = (reviewId: string) => m.t.gw.deps.db.select().from(heldCallResults).where(eq(heldCallResults.reviewId, reviewId));
      await m.t.gw.deps.db
        .update(heldCallResults)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(heldCallResults.reviewId, pending.reviewId));
      expect(await deleteExpiredHeldCalls(m.t.gw.deps.db)).toBeGreaterThanOrEqual(1);
      expect(await rowOf(pending.reviewId)).toEqual([]);
      expect(await rowOf(second2.reviewId)).toHaveLength(1);
      await there.close();
      await first.close();
    } finally {
      await second.close();
    }
  });

  it("[BAD INPUT]: malformed JSON, unknown methods and tools, bad arguments and oversized batches get JSON-RPC errors, and the server keeps serving", async () => {
    const parse = await post("{not json");
    expect(parse.status).toBe(400);
    expect(((await parse.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const batch = await post(JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "tools/list" }))));
    expect(((await batch.json()) as { error: { code: number } }).error.code).toBe(-32600);
    const unknownMethod = await post(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "no/such/method" }));
    expect(((await unknownMethod.json()) as { error: { code: number } }).error.code).toBe(-32601);
    const foreignPage = await post(JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }), m.key, { origin: "http://evil.example" });
    expect(foreignPage.status).toBe(403);
    const huge = await post(JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "query", arguments: { connection: "mcp-db", sql: "x".repeat(3 * 1024 * 1024) } } }));
    expect(huge.status).toBe(413);

    const client = await connect(m.key);
    await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toMatchObject({ code: -32602 });
    const badArgs = await call(client, "query", { connection: "mcp-db" });
    expect(badArgs.isError).toBe(true);
    const ok = structured(await call(client, "query", { connection: "mcp-db", sql: "select 1 as one" })) as { results: Array<{ rows: unknown[][] }> };
    expect(ok.results[0].rows).toEqual([[1]]);
    await client.close();
  });

  it("[FORBIDDEN]: a connection that does not exist or is not granted is a tool error with the listener's refusal", async () => {
    const client = await connect(m.key);
    const r = await call(client, "query", { connection: "nope", sql: "select 1" });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/connection "nope" does not exist/);
    await client.close();
  });
});
