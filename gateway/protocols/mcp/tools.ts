import { z } from "zod";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { connectionAccess, isUsable } from "../../../core/access/connection-access";
import { auditedCall, toolError, toolResult, type CallerContext, type ToolOutcome } from "./tool-call";
import { PgCallError, runStatement, type Hold, type QueryResult } from "./pg-call";
import { runCommand, SshCallError, type ExecResult } from "./ssh-exec";
import { registerReviewTools } from "./review-tools";
import { runHttpRequest } from "./http-call";
import { MysqlCallError, runMysqlStatement } from "./mysql-call";

/** Every tool this server has (a call of another name is a JSON-RPC error, see mcp-route.ts). */
export const TOOL_NAMES = ["connections_list", "connection_schema", "query", "exec", "http_request", "kubernetes_request", "review_status", "review_wait"];

/** Which tools serve which connection type (what `connections_list` tells the agent). */
const TOOLS_BY_TYPE: Record<string, string[]> = { postgres: ["connection_schema", "query"], mysql: ["query"], ssh: ["exec"], http: ["http_request"], kubernetes: ["kubernetes_request"] };

const connection = z.string().min(1).max(200).describe("the connection's name, as connections_list shows it");

const SCHEMA_SQL = `select table_schema as schema, table_name as table,
  string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) as columns
from information_schema.columns
where table_schema not in ('pg_catalog', 'information_schema') and ($1::text is null or table_schema = $1::text)
group by table_schema, table_name
order by table_schema, table_name`;

/** Gatehouse's tools on one (per request) MCP server, for one authenticated caller. */
export function registerTools(server: McpServer, c: CallerContext): void {
  server.registerTool(
    "connections_list",
    {
      description: "The connections you may use through Gatehouse, with their type and the tools that serve them.",
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    () =>
      auditedCall(c, "connections_list", {}, async () => {
        const rows = await connectionAccess(c.deps.db, { identityId: c.identity.id, groups: c.identity.groups });
        const usable = rows.filter(isUsable).map((r) => ({
          name: r.name,
          type: r.type,
          tools: TOOLS_BY_TYPE[r.type] ?? [],
          // An upstream MCP server is its own endpoint: its tools are listed there.
          ...(r.type === "mcp" ? { endpoint: `/mcp/${encodeURIComponent(r.name)}` } : {}),
          ...(r.temporaryUntil !== null ? { accessUntil: new Date(r.temporaryUntil).toISOString() } : {}),
        }));
        return { result: toolResult({ connections: usable }), outcome: "ok", message: `${usable.length} connection(s)` };
      }),
  );

  server.registerTool(
    "connection_schema",
    {
      description: "Tables and their columns (name and type) of a Postgres connection, read through the gateway like any query.",
      inputSchema: { connection, schema: z.string().min(1).max(200).optional().describe("only this schema (e.g. public)") },
      annotations: { readOnlyHint: true },
    },
    (args) =>
      auditedCall(c, "connection_schema", args, () =>
        postgresCall(c, "connection_schema", args.connection, SCHEMA_SQL, [args.schema ?? null], (r) => {
          const rows = r.results[0]?.rows ?? [];
          const tables = rows.map(([schema, table, columns]) => ({ schema, table, columns: String(columns).split(", ") }));
          return toolResult({ connection: args.connection, tables, ...(r.note ? { note: r.note } : {}) });
        }),
      ),
  );

  server.registerTool(
    "query",
    {
      description:
        "Runs SQL on a Postgres or MySQL connection through Gatehouse: guardrails apply, personal data comes back masked, and results are cut at 200 rows or 256 KiB (with a note). " +
        "A statement a rule holds for approval returns at once with status pending_approval and a reviewId: on Postgres call review_wait with it; on MySQL, once review_status (or review_wait) says approved, call query again with exactly the same arguments (it then runs, once).",
      inputSchema: {
        connection,
        sql: z.string().min(1).max(1_000_000).describe("one statement, or several separated by semicolons when no params are given"),
        params: z
          .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
          .max(1000)
          .optional()
          .describe("values for $1, $2... (the statement then runs alone, through the extended protocol)"),
      },
    },
    (args) =>
      auditedCall(c, "query", args, async () =>
        (await connectionType(c, args.connection)) === "mysql"
          ? mysqlCall(c, args.connection, args.sql, args.params)
          : postgresCall(c, "query", args.connection, args.sql, args.params, (r) => toolResult(r)),
      ),
  );

  server.registerTool(
    "exec",
    {
      description:
        "Runs a command on an SSH connection through Gatehouse and returns stdout, stderr and the exit status (output cut at 256 KiB). " +
        "A command a rule holds for approval returns at once with status pending_approval and a reviewId: call review_wait with it.",
      inputSchema: { connection, command: z.string().min(1).max(100_000).describe("the command line, run by the remote user's shell") },
    },
    (args) => auditedCall(c, "exec", args, () => sshCall(c, args.connection, args.command)),
  );

  server.registerTool(
    "http_request",
    {
      description:
        "Sends a request to an HTTP API connection through Gatehouse (which adds the API's credential: never send one), and returns the status, main headers and body (masked, cut at 256 KiB). " +
        "A request a rule holds for approval returns at once with status pending_approval and a reviewId: once review_status says approved, call http_request again with exactly the same arguments; it then runs, once.",
      inputSchema: {
        connection,
        method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        path: z
          .string()
          .min(1)
          .max(8192)
          .regex(/^\/[^\s]*$/, "a path starting with /, with its query string if any, no spaces")
          .describe("the path under the connection's base URL, with the query string: /v1/customers?limit=10"),
        headers: z
          .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, "a header name"), z.string().max(8192))
          .optional()
          .describe("extra request headers (Content-Type, Accept...); credentials are the gateway's to add"),
        body: z.string().max(1_000_000).optional().describe("the request body, as text (JSON as a string)"),
      },
    },
    (args) => auditedCall(c, "http_request", args, () => httpCall(c, args, "proxy", "http_request")),
  );

  server.registerTool(
    "kubernetes_request",
    {
      description:
        "Sends a Kubernetes API request on a Kubernetes connection through Gatehouse (which holds the cluster's credential): the path is the API path kubectl would use (/api/v1/namespaces/default/pods, /apis/apps/v1/namespaces/prod/deployments/web). " +
        "Returns the status and the body (Secrets masked, cut at 256 KiB). A request a rule holds returns at once with status pending_approval and a reviewId: once review_status says approved, call again with exactly the same arguments; it then runs, once.",
      inputSchema: {
        connection,
        method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
        path: z
          .string()
          .min(1)
          .max(8192)
          .regex(/^\/(api|apis|version|openapi)(\/[^\s]*)?$/, "an API path: /api/..., /apis/..., /version or /openapi/...")
          .describe("the API path with its query string"),
        contentType: z
          .enum(["application/json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"])
          .optional()
          .describe("the body's type (default application/json)"),
        body: z.string().max(1_000_000).optional().describe("the object or patch, as text"),
      },
    },
    (args) =>
      auditedCall(c, "kubernetes_request", args, () =>
        httpCall(c, { ...args, headers: args.body !== undefined ? { "Content-Type": args.contentType ?? "application/json" } : undefined }, "k8s", "kubernetes_request"),
      ),
  );

  registerReviewTools(server, c);
}

/** The type of a connection the caller may use (undefined: none of that name), to pick the listener a tool dials. */
async function connectionType(c: CallerContext, name: string): Promise<string | undefined> {
  const [row] = await connectionAccess(c.deps.db, { identityId: c.identity.id, groups: c.identity.groups }, name);
  return row?.type;
}

/** SQL through the gateway's MySQL listener: the result, a tool error saying why not, or pending approval (answered at once). */
async function mysqlCall(c: CallerContext, name: string, sql: string, params: unknown[] | undefined): Promise<ToolOutcome> {
  const endpoint = c.endpoints.mysql();
  if (!endpoint) return { result: toolError("the gateway's MySQL listener is off (GATEHOUSE_MYSQL_PORT=0)"), outcome: "error", message: "MySQL listener off" };
  try {
    const r = await runMysqlStatement(endpoint, { credential: c.credential, connection: name, application: innerApplication(c, "query") }, sql, params);
    if ("held" in r) {
      const pending = {
        status: "pending_approval",
        reviewId: r.held.reviewId,
        link: r.held.link,
        next: "An approver decides in the Gatehouse console (the link). Once review_status (or review_wait) says approved, call query again with exactly the same arguments: it then runs, once.",
      };
      return { result: toolResult(pending), outcome: "ok", message: `held for approval: review ${r.held.reviewId}`, details: { reviewId: r.held.reviewId, pending: true } };
    }
    const d = r.done;
    return { result: toolResult(d), outcome: "ok", message: d.results.map((x) => `${x.command ?? "?"} ${x.rowCount ?? ""}`.trim()).join("; ") + (d.truncated ? " (cut)" : "") };
  } catch (err) {
    if (!(err instanceof MysqlCallError)) throw err;
    const refused = err.code === 1045 || err.code === 1142 || err.code === 1044;
    const text = `${err.message}${err.code ? ` (MySQL error ${err.code})` : ""}`;
    return { result: toolError(text), outcome: refused ? "denied" : "error", message: text, details: err.code ? { errno: err.code } : undefined };
  }
}

async function httpCall(
  c: CallerContext,
  args: { connection: string; method: string; path: string; headers?: Record<string, string>; body?: string },
  route: "proxy" | "k8s",
  tool: string,
): Promise<ToolOutcome> {
  const r = await runHttpRequest(c.endpoints.http, { credential: c.credential, connection: args.connection }, args, route);
  if ("refused" in r) return { result: toolError(r.refused.message), outcome: "denied", message: r.refused.message, details: { status: r.refused.status } };
  if ("held" in r) {
    const pending = {
      status: "pending_approval",
      reviewId: r.held.reviewId,
      link: r.held.link,
      next: `An approver decides in the Gatehouse console (the link). Once review_status (or review_wait) says approved, call ${tool} again with exactly the same arguments: it then runs, once.`,
    };
    return { result: toolResult(pending), outcome: "ok", message: `held for approval: review ${r.held.reviewId}`, details: { reviewId: r.held.reviewId, pending: true } };
  }
  const d = r.done;
  return {
    result: toolResult(d),
    outcome: d.status >= 500 ? "error" : "ok",
    message: `${args.method} ${args.path.slice(0, 200)}: ${d.status}${d.truncated ? " (cut)" : ""}`,
    details: { status: d.status },
  };
}

/** A statement through the gateway's Postgres listener: the result, a tool error saying why not, or pending approval. */
function postgresCall(c: CallerContext, tool: string, name: string, sql: string, params: unknown[] | undefined, render: (r: QueryResult) => ToolOutcome["result"]): Promise<ToolOutcome> {
  const application = innerApplication(c, tool);
  return heldAware(
    c,
    tool,
    name,
    (onHold) => runStatement(c.endpoints.pg, { credential: c.credential, connection: name, application }, sql, params, onHold),
    (r) => ({ result: render(r), outcome: "ok", message: r.results.map((x) => `${x.command ?? "?"} ${x.rowCount ?? ""}`.trim()).join("; ") + (r.truncated ? " (cut)" : "") }),
    (err) => {
      if (!(err instanceof PgCallError)) throw err;
      const refused = err.code === "42501" || err.code === "28P01" || err.code === "28000";
      const text = `${err.message}${err.detail ? `\n${err.detail}` : ""}${err.code ? ` (SQLSTATE ${err.code})` : ""}`;
      return { result: toolError(text), outcome: refused ? "denied" : "error", message: text, details: err.code ? { sqlstate: err.code } : undefined };
    },
  );
}

function sshCall(c: CallerContext, name: string, command: string): Promise<ToolOutcome> {
  return heldAware(
    c,
    "exec",
    name,
    (onHold) => runCommand(c.endpoints.ssh, { credential: c.credential, connection: name }, command, onHold),
    (r: ExecResult) => {
      // The SSH listener refuses a held command that was rejected or timed out with exit 1 and a `gatehouse:` line.
      const refusal = /gatehouse: (Gatehouse (did not run|denied) this command: [^\r\n]*)/.exec(r.stderr);
      if (refusal && r.exitStatus !== 0) return { result: toolError(refusal[1]), outcome: "denied", message: refusal[1] };
      return { result: toolResult(r), outcome: "ok", message: `exit ${r.exitStatus ?? r.signal ?? "?"}${r.truncated ? " (cut)" : ""}` };
    },
    (err) => {
      if (!(err instanceof SshCallError)) throw err;
      return { result: toolError(err.message), outcome: "denied", message: err.message };
    },
  );
}

/**
 * Runs a call on an inner connection and answers with its outcome, or, as soon as the listener
 * announces a hold, with "pending approval": the inner connection keeps waiting in this instance
 * (HeldCalls) and `review_wait` collects the outcome.
 */
async function heldAware<T>(
  c: CallerContext,
  tool: string,
  name: string,
  start: (onHold: (h: Hold) => void) => { done: Promise<T>; abandon: () => void },
  ok: (v: T) => ToolOutcome,
  failed: (err: unknown) => ToolOutcome,
): Promise<ToolOutcome> {
  let announce: (h: Hold) => void = () => {};
  const held = new Promise<Hold>((resolve) => (announce = resolve));
  const call = start((h) => announce(h));
  const outcome = call.done.then(ok, failed);
  const first = await Promise.race([outcome.then((o) => ({ o })), held.then((h) => ({ h }))]);
  if ("o" in first) return first.o;
  const { h } = first;
  if (!c.held.hasRoom(c.identity.name)) {
    // Closing the inner connection cancels its review (the listener's client went away).
    call.abandon();
    outcome.catch(() => {});
    const message = `too many of your calls already wait for approval in this gateway instance; collect them with review_wait first (review ${h.reviewId} was cancelled)`;
    return { result: toolError(message), outcome: "denied", message, details: { reviewId: h.reviewId } };
  }
  const safe = outcome.catch((err: Error): ToolOutcome => ({ result: toolError("the gateway could not complete this call"), outcome: "error", message: err.message }));
  c.held.add({ reviewId: h.reviewId, identityName: c.identity.name, tool, connection: name, link: h.link, outcome: safe, abandon: call.abandon });
  const pending = {
    status: "pending_approval",
    reviewId: h.reviewId,
    link: h.link,
    ...(h.reason ? { reason: h.reason } : {}),
    next: "An approver decides in the Gatehouse console (the link). Call review_wait with this reviewId to get the result; it runs only once approved.",
  };
  return { result: toolResult(pending), outcome: "ok", message: `held for approval: review ${h.reviewId}`, details: { reviewId: h.reviewId, pending: true } };
}

/**
 * The client application an inner session records: the tool, and the /mcp session it serves (the
 * console links the two), e.g. `gatehouse-mcp query 6f1c…` (63 characters at most, Postgres's limit).
 */
export function innerApplication(c: CallerContext, tool: string): string {
  return `gatehouse-mcp ${tool}${c.sessionId ? ` ${c.sessionId}` : ""}`.slice(0, 63);
}
