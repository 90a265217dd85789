import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { Agent, fetch as undiciFetch } from "undici";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { sessions } from "../../drizzle/schema/index";
import { authenticate } from "../../core/identity/authenticate";
import { addConnection } from "../../core/connections/add-connection";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { forgedKey } from "../support/seed";
import { callTool, connectMcp, structured, textOf } from "../mcp/mcp-client";
import { startHttpFixture, type HttpFixture } from "../mcp/upstream-fixture/http-fixture";

// The official MCP SDK client against /mcp/<connection>, an upstream MCP server (the SDK-built
// fixture over Streamable HTTP) behind the gateway. How the cases map: a command is a call of the
// fixture's `echo` tool, judged by its text `echo {"text":"..."}`; the connections trust new tools
// (tool pinning has its own tests in e2e/mcp/mcp-upstream.test.ts). A refused sign-in is the HTTP
// status of the endpoint's answer (401; 403 for a connection that does not exist or is not granted);
// a refused call is a tool error; a held call answers pending at once, and the client then waits with
// `review_wait` on /mcp and, once approved, makes the same call again (it runs once), as an agent
// does. A live session is a call in flight (the fixture's `sleep`); ended from outside, the call is
// aborted upstream and answered "Gatehouse ended this session: <reason>". Every case applies.
const TOKEN = "contract-upstream-token-1c2d";
const ENDED = "Gatehouse ended this session";

function outcomeOf(r: CallToolResult): ClientOutcome {
  const text = textOf(r);
  if (!r.isError) return { ok: true, output: text };
  return { ok: false, code: text.startsWith(ENDED) ? "session_ended" : "tool-error", message: text };
}

let fixture: HttpFixture;

const mcpUpstream: ContractAdapter = {
  name: "mcp upstream (/mcp/<connection>)",
  sessionProtocol: "mcp",
  codes: { badCredential: "401", noConnection: "403", refused: "tool-error", ended: "session_ended" },
  cases: {
    "bad-credential": true,
    "no-connection": true,
    "deny-rule": true,
    "hold-approve": true,
    "hold-reject": true,
    "hold-timeout": true,
    "admin-kill": true,
    "key-revocation": true,
    "access-expiry": true,
    "audit-per-command": true,
    masking: true,
  },
  echo: (text) => text,
  async start(gw, seed) {
    const state = path.join(mkdtempSync(path.join(tmpdir(), "contract-mcp-")), "state.json");
    writeFileSync(state, "{}");
    fixture = await startHttpFixture(state, TOKEN);
    const base = `http://127.0.0.1:${gw.gw.ports.http}/mcp`;
    const clients = new Set<Client>();
    return {
      addConnection: async (name) => void (await addConnection(seed.db, seed.box, { name, type: "mcp", flags: { url: fixture.url, credential: TOKEN, "trust-new-tools": true } })),
      credential: async (who) => who.key,
      forgedCredential: forgedKey,
      async open(credential, connection) {
        let client: Client;
        let gatehouse: Client | undefined;
        // Its own connection, as an agent process has: a session is a client TCP connection, and Node's
        // shared pool would hand one session's connection (closed when it is killed) to the next client.
        // One connection: the SDK client opens its GET stream beside its first POSTs, which would be a
        // second session, and the kill must reach the one with the call in flight.
        const pool = new Agent({ connections: 1 });
        const ownFetch = ((url: string | URL, init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(url, { ...init, dispatcher: pool })) as unknown as typeof fetch;
        try {
          client = await connectMcp(new URL(`${base}/${connection}`), credential, { fetch: ownFetch });
        } catch (err) {
          const e = err as { code?: number; message?: string };
          return { ok: false, code: String(e.code ?? "none"), message: e.message ?? String(err) } satisfies Refused;
        }
        clients.add(client);
        let transcript = "";
        const run = async (text: string): Promise<ClientOutcome> => {
          let r = await callTool(client, "echo", { text }, { timeout: 120_000 });
          // Held: wait for the decision with review_wait on /mcp, then make the same call again.
          while (!r.isError && structured(r)?.status === "pending_approval") {
            transcript += `pending approval: ${String(structured(r).link)}\n`;
            gatehouse ??= await connectMcp(new URL(base), credential, { fetch: ownFetch });
            const waited = await callTool(gatehouse, "review_wait", { reviewId: structured(r).reviewId, waitSeconds: 10 }, { timeout: 120_000 });
            if (waited.isError) {
              r = waited;
              break;
            }
            if (structured(waited).status === "approved") r = await callTool(client, "echo", { text }, { timeout: 120_000 });
          }
          const o = outcomeOf(r);
          transcript += o.ok ? `${o.output}\n` : `ERROR ${o.code}: ${o.message}\n`;
          return o;
        };
        const session: ContractSession = {
          run,
          // A call in flight on the session's connection; resolves once the gateway lists the session.
          async holdOpen() {
            const who = await authenticate(credential, gw.gw.deps);
            const ended = callTool(client, "sleep", { ms: 120_000 }, { timeout: 130_000 }).then(
              (r): Refused => {
                const o = outcomeOf(r);
                return o.ok ? { ok: false, code: "none", message: "the call completed instead of ending" } : o;
              },
              (err: Error): Refused => ({ ok: false, code: "none", message: err.message }),
            );
            const live = () =>
              gw.gw.deps.db
                .select({ id: sessions.id })
                .from(sessions)
                .where(and(eq(sessions.identityName, who.name), eq(sessions.protocol, "mcp"), eq(sessions.status, "active")));
            for (let i = 0; i < 100 && (await live()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
            // The call must be in flight upstream before the session is ended.
            await new Promise((r) => setTimeout(r, 300));
            return { ended };
          },
          transcript: () => transcript,
          async close() {
            clients.delete(client);
            await Promise.allSettled([client.close(), gatehouse?.close()]);
            await pool.close();
          },
        };
        return { ok: true, session };
      },
      async stop() {
        await Promise.allSettled([...clients].map((c) => c.close()));
        if (fixture.leaks.length) throw new Error(`the upstream saw a Gatehouse key:\n${fixture.leaks.join("\n")}`);
        await fixture.stop();
      },
    };
  },
};

describePipelineContract(mcpUpstream);
