import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { GatewayDeps } from "../../gateway-deps";
import type { Identity } from "../../../core/identity/identity";
import type { AuditEvent } from "../../../core/audit/audit-event";
import { connectionAccess } from "../../../core/access/connection-access";
import { auditTextMask } from "../../../core/masking/audit-text-mask";
import type { HeldCalls } from "./held-calls";
import type { HttpEndpoint } from "./http-call";

/** Who calls, from where, with what: one per HTTP request (the server is stateless). */
export type CallerContext = {
  deps: GatewayDeps;
  identity: Identity;
  /** The bearer credential, presented again to the gateway's own listeners. */
  credential: string;
  clientAddr: string | null;
  /** The client's session on /mcp: its calls' events carry its id, and its inner sessions name it in their client application. */
  sessionId: string | null;
  held: HeldCalls;
  endpoints: { pg: { host: string; port: number; ssl: boolean }; ssh: { host: string; port: number }; http: HttpEndpoint; mysql: () => { host: string; port: number; tls: boolean } | undefined };
};

/** What a tool reports for the audit, next to the result it returns. */
export type ToolOutcome = { result: CallToolResult; outcome: AuditEvent["outcome"]; message: string; connection?: string; details?: Record<string, unknown> };

const SECRET_NAME = /pass(word)?|secret|token|credential|api[_-]?key|authorization/i;

/** The arguments as the audit stores them: values under secret-looking names replaced, strings through `mask` and cut at 8 KiB. */
export function redactArguments(args: unknown, mask: (t: string) => string = (t) => t): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 6) return "[nested too deep]";
    if (Array.isArray(v)) return v.slice(0, 50).map((x) => walk(x, depth + 1));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_NAME.test(k) ? "[redacted]" : walk(x, depth + 1)]));
    if (typeof v === "string") return mask(v.length > 8192 ? `${v.slice(0, 8192)}... [${v.length - 8192} more characters]` : v);
    return v;
  };
  return walk(args, 0);
}

/**
 * Runs one tool and writes its one `mcp.tool.call` event: tool, arguments (secrets redacted, and the
 * detectors of the connection it names applied, as the connection's own session events are), outcome.
 */
export async function auditedCall(c: CallerContext, tool: string, args: Record<string, unknown>, run: () => Promise<ToolOutcome>): Promise<CallToolResult> {
  const started = Date.now();
  let done: ToolOutcome;
  try {
    done = await run();
  } catch (err) {
    c.deps.log(`mcp: tool ${tool} failed: ${(err as Error).stack ?? err}`, "error");
    done = { result: toolError("the gateway could not complete this call; try again"), outcome: "error", message: (err as Error).message };
  }
  const connection = done.connection ?? (typeof args.connection === "string" ? args.connection : null);
  const mask = (connection ? await maskFor(c, connection).catch(() => undefined) : undefined) ?? ((t: string) => t);
  // The arguments go in `details`, not `statement`: the statement column holds each command once, in
  // the inner Postgres or SSH session's own event (the contract's one event per command).
  c.deps.audit.write({
    at: new Date(),
    action: "mcp.tool.call",
    outcome: done.outcome,
    sessionId: c.sessionId,
    protocol: "mcp",
    clientAddr: c.clientAddr,
    connectionName: connection,
    identityId: c.identity.id,
    identityName: c.identity.name,
    groups: c.identity.groups,
    statement: null,
    statementKind: tool,
    durationMs: Date.now() - started,
    message: mask(done.message),
    details: { tool, arguments: redactArguments(args, mask), ...done.details },
  });
  return done.result;
}

/** The detectors of the connection a call names (none for a name that does not exist). */
async function maskFor(c: CallerContext, name: string): Promise<((t: string) => string) | undefined> {
  const [conn] = await connectionAccess(c.deps.db, { identityId: c.identity.id, groups: c.identity.groups }, name);
  if (!conn) return undefined;
  await c.deps.masking.ensure(conn.id);
  return auditTextMask(c.deps.masking.current(conn.id, c.identity.groups), c.deps.masking.keyFor(conn.id));
}

export function toolResult(value: object): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}

export function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: message }] };
}
