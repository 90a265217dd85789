import { and, eq, like } from "drizzle-orm";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { sessions } from "../../drizzle/schema/index";
import { authenticate } from "../../core/identity/authenticate";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { forgedKey, seedPostgresConnection } from "../support/seed";
import { callTool, connectMcp, structured, textOf } from "../mcp/mcp-client";

// The official MCP SDK client against /mcp, running each command with the `query` tool on a Postgres
// connection (the run's private PostgreSQL). How the cases map: the MCP server is stateless, so the
// credential is checked on each HTTP request (a forged one is a 401, audited as protocol "mcp"); each
// tool call opens an inner session on the gateway's own Postgres listener, and that is the session
// the console lists, kills and audits (protocol "postgres"): a live session is a call in flight
// (`select pg_sleep`). A held call returns pending_approval at once and the client then calls
// review_wait until it settles, as an agent does. Refusals are tool errors carrying the listener's
// SQLSTATE. Every case applies.
const SQLSTATE = /\(SQLSTATE ([0-9A-Z]{5})\)/;

function outcomeOf(r: CallToolResult): ClientOutcome {
  if (r.isError) {
    const message = textOf(r);
    return { ok: false, code: SQLSTATE.exec(message)?.[1] ?? "tool-error", message };
  }
  const { results } = structured(r) as { results: Array<{ rows: unknown[][] }> };
  return { ok: true, output: results.map((x) => x.rows.map((row) => row.join("|")).join("\n")).join("\n") };
}

const mcp: ContractAdapter = {
  name: "mcp (query tool)",
  sessionProtocol: "postgres",
  deniedProtocol: "mcp",
  codes: { badCredential: "401", noConnection: "28000", refused: "42501", ended: "57P01" },
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
  echo: (text) => `select '${text}' as value`,
  async start(gw, seed) {
    const url = new URL(`http://127.0.0.1:${gw.gw.ports.http}/mcp`);
    return {
      addConnection: (name) => seedPostgresConnection(seed, name, gw.target.url()),
      credential: async (who) => who.key,
      forgedCredential: forgedKey,
      async open(credential, connection) {
        let client;
        try {
          client = await connectMcp(url, credential);
        } catch (err) {
          const e = err as { code?: number; message?: string };
          const code = e.code === 401 || /\b401\b|unauthorized/i.test(e.message ?? "") ? "401" : String(e.code ?? "none");
          return { ok: false, code, message: e.message ?? String(err) } satisfies Refused;
        }
        let transcript = "";
        const run = async (sql: string): Promise<ClientOutcome> => {
          let r = await callTool(client, "query", { connection, sql }, { timeout: 120_000 });
          // Held: the agent waits for the review with review_wait until it settles.
          while (!r.isError && structured(r)?.status === "pending_approval") {
            transcript += `pending approval: ${String(structured(r).link)}\n`;
            r = await callTool(client, "review_wait", { reviewId: structured(r).reviewId, waitSeconds: 10 }, { timeout: 120_000 });
          }
          const o = outcomeOf(r);
          transcript += o.ok ? `${o.output}\n` : `ERROR ${o.code}: ${o.message}\n`;
          return o;
        };
        const session: ContractSession = {
          run,
          // A call in flight is the live inner session; it resolves once the gateway lists it.
          async holdOpen() {
            const who = await authenticate(credential, gw.gw.deps);
            const ended = run("select pg_sleep(120)").then((o): Refused => (o.ok ? { ok: false, code: "none", message: "the call completed instead of ending" } : o));
            const live = () =>
              gw.gw.deps.db
                .select({ id: sessions.id })
                .from(sessions)
                .where(and(eq(sessions.identityName, who.name), eq(sessions.protocol, "postgres"), eq(sessions.status, "active"), like(sessions.clientApp, "gatehouse-mcp%")));
            for (let i = 0; i < 100 && (await live()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
            return { ended };
          },
          transcript: () => transcript,
          close: () => client.close(),
        };
        return { ok: true, session };
      },
      stop: async () => {},
    };
  },
};

describePipelineContract(mcp);
