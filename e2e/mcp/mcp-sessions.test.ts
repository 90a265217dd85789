import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, like } from "drizzle-orm";
import { Agent, fetch as undiciFetch } from "undici";
import { auditEvents, sessions } from "../../drizzle/schema/index";
import { callTool, connectMcp, textOf } from "./mcp-client";
import { startMaskedGateway, type MaskedSetup } from "../masking/support/masked-gateway";
import { activeSessionId, killSession, openSeed, type Seed } from "../support/seed";

// Sessions on Gatehouse's own /mcp: a client's calls (one TCP connection, one credential) are one
// session, recorded like any other (protocol mcp, the endpoint in place of a connection), whose
// timeline is its mcp.tool.call events; each call's inner session names it in its client
// application; it ends when the client goes, or when an admin ends it.
let m: MaskedSetup;
let seed: Seed;
let url: URL;
beforeAll(async () => {
  m = await startMaskedGateway("mcp-sessions-db");
  seed = openSeed(m.t);
  url = new URL(`http://127.0.0.1:${m.t.gw.ports.http}/mcp`);
}, 120_000);
afterAll(async () => {
  await seed?.close();
  await m?.close();
});

/** The SDK client on a connection of its own, as an agent process has (Node's shared pool would mix clients). */
async function ownClient(credential: string) {
  const pool = new Agent({ connections: 1 });
  const ownFetch = ((u: string | URL, init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(u, { ...init, dispatcher: pool })) as unknown as typeof fetch;
  const client = await connectMcp(url, credential, { fetch: ownFetch });
  return { client, close: async () => (await client.close(), await pool.close()) };
}

const agentName = async () => (await m.t.gw.deps.db.select({ name: sessions.identityName }).from(sessions).where(eq(sessions.protocol, "postgres")).limit(1))[0]?.name ?? "agent-m";

describe("[MCP][SESSIONS] a client's calls on /mcp are one session with a timeline", () => {
  it("groups one client's calls in one session: events carry its id, inner sessions name it, it ends when the client goes", async () => {
    const { client, close } = await ownClient(m.key);
    for (const sql of ["select 1 as one", "select 2 as two"]) {
      const r = await callTool(client, "query", { connection: m.connection, sql });
      expect(r.isError, textOf(r)).toBeFalsy();
    }
    const name = await agentName();
    const id = await activeSessionId(seed, name, "mcp");
    const [row] = await seed.db.select().from(sessions).where(eq(sessions.id, id));
    expect(row).toMatchObject({ protocol: "mcp", connectionName: "/mcp", connectionId: null, status: "active" });
    const calls = async () =>
      seed.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, "mcp.tool.call"), eq(auditEvents.sessionId, id)));
    await expect.poll(async () => (await calls()).length, { timeout: 5000 }).toBe(2);
    expect((await calls()).map((e) => e.connectionName)).toEqual([m.connection, m.connection]);
    // Each call's own Postgres session names the MCP session it served.
    const inner = await seed.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.protocol, "postgres"), like(sessions.clientApp, `gatehouse-mcp query ${id}`)));
    expect(inner.length).toBe(2);

    await close();
    await expect.poll(async () => (await seed.db.select().from(sessions).where(eq(sessions.id, id)))[0]?.status, { timeout: 5000 }).toBe("closed");
    await expect
      .poll(
        async () =>
          (
            await seed.db
              .select()
              .from(auditEvents)
              .where(and(eq(auditEvents.action, "session.end"), eq(auditEvents.sessionId, id)))
          ).length,
        { timeout: 5000 },
      )
      .toBe(1);
  });

  it("an admin kill ends the session and closes its connection; the client, still holding a valid key, comes back as a new session", async () => {
    const { client, close } = await ownClient(m.key);
    expect((await callTool(client, "query", { connection: m.connection, sql: "select 1" })).isError).toBeFalsy();
    const name = await agentName();
    const id = await activeSessionId(seed, name, "mcp");
    await killSession(seed, id, "an administrator ended this session");
    await expect.poll(async () => (await seed.db.select().from(sessions).where(eq(sessions.id, id)))[0]?.endReason, { timeout: 5000 }).toBe("an administrator ended this session");
    // Its connection is gone: the next call reconnects, and is a new session (a kill is not a ban: revoke the key for that).
    expect((await callTool(client, "query", { connection: m.connection, sql: "select 3" })).isError).toBeFalsy();
    const next = await activeSessionId(seed, name, "mcp");
    expect(next).not.toBe(id);
    await close();
  });
});
