import { createHash } from "node:crypto";
import { ErrorCode, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { GatewayDeps } from "../../../gateway-deps";
import type { ClientSession } from "../../../http/client-sessions";
import type { McpSettings } from "../../../../core/connections/types/mcp";
import { listUpstreamTools } from "../../../../core/connections/types/mcp-upstream";
import { judgeCommands, type Verdict } from "../../../../core/policy/evaluate-policy";
import { toolCallCommand } from "../../../../core/policy/mcp-tool-call";
import { canonicalJson, pinTools, type PinState } from "../../../../core/mcp/tool-pins";
import { decideAccepted } from "../../../pipeline/accepted-reviews";
import { redactArguments, toolError, toolResult } from "../tool-call";
import type { UpstreamPool } from "./upstream-pool";
import { maskedInJson, sendsBackMasked } from "../../../http/masked-upload";

export type McpSession = ClientSession<McpSettings>;

/** The upstream's tools with their pin states, read afresh (a changed definition counts from the next listing or call). */
async function currentTools(deps: GatewayDeps, pool: UpstreamPool, s: McpSession, signal?: AbortSignal): Promise<{ tools: Tool[]; pins: Map<string, PinState> }> {
  const { connection } = s.admission;
  const list = async () => listUpstreamTools(await pool.client(connection.id, s.settings, connection.secret.credential), s.settings.timeoutMs, signal);
  let tools: Tool[];
  try {
    tools = await list();
  } catch {
    // Once more on a fresh client: the upstream may have restarted and forgotten the gateway's MCP session (a listing changes nothing).
    pool.reset(connection.id);
    try {
      tools = await list();
    } catch (err) {
      pool.reset(connection.id);
      throw upstreamUnavailable(err, s);
    }
  }
  const pins = await pinTools(deps.db, connection.id, tools, { trustNew: s.settings.trustNewTools });
  return { tools, pins };
}

/** Judged as a name alone: a rule without argument conditions that denies the tool hides it. */
function deniedByName(deps: GatewayDeps, s: McpSession, tool: string): boolean {
  const policy = deps.policies.current(s.admission.connection.id);
  if (!policy) return false;
  return judgeCommands(policy, subject(s), [toolCallCommand({ tool, arguments: undefined })]).action === "deny";
}

/** `tools/list`: the upstream's tools this identity may call: approved definitions, not denied by name. */
export async function listTools(deps: GatewayDeps, pool: UpstreamPool, s: McpSession): Promise<Tool[]> {
  const { tools, pins } = await currentTools(deps, pool, s);
  return tools.filter((t) => pins.get(t.name) === "approved" && !deniedByName(deps, s, t.name));
}

/** What one call came to, for the audit (the result goes to the agent). */
export type CallVerdict =
  | { kind: "refused"; result: CallToolResult; outcome: "denied" | "error"; message: string; rule?: string | null; reviewId?: string }
  | { kind: "pending"; result: CallToolResult; message: string; rule: string | null; reviewId: string }
  | { kind: "run"; tool: Tool; rule: string | null; note: string | null };

/**
 * Everything that decides whether a `tools/call` reaches the upstream, in order: the tool exists
 * upstream (else a JSON-RPC error), its definition is the one an admin approved, the policy allows
 * it with these arguments; a review rule answers at once with pending approval (the review carries
 * a fingerprint of the call: the same call made again after approval runs, once).
 */
export async function judgeCall(deps: GatewayDeps, pool: UpstreamPool, s: McpSession, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallVerdict> {
  const connectionName = s.admission.connection.name;
  const { tools, pins } = await currentTools(deps, pool, s, signal);
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new RpcError(ErrorCode.InvalidParams, `unknown tool: ${name.slice(0, 100)}`);
  const pin = pins.get(name);
  if (pin !== "approved") {
    const message =
      pin === "changed"
        ? `Gatehouse refused this call: the definition of tool "${name}" (its description or input schema) changed since an admin approved it. Until an admin approves it again (gatehouse mcp-tools approve ${connectionName} ${name}), it is hidden and refused.`
        : `Gatehouse refused this call: tool "${name}" is new on this server and no admin has approved it yet (gatehouse mcp-tools approve ${connectionName} ${name}).`;
    return { kind: "refused", result: toolError(message), outcome: "denied", message, rule: null };
  }
  // What masking showed, passed back as an argument, would replace the real value upstream (see masked-upload.ts); a tool that says it only reads may be given it.
  const where = s.masker() && tool.annotations?.readOnlyHint !== true ? maskedInJson(args, "$") : null;
  if (where) {
    const message = sendsBackMasked(where, "call", "argument");
    return { kind: "refused", result: toolError(message), outcome: "denied", message, rule: null };
  }
  const policy = deps.policies.current(s.admission.connection.id);
  const command = toolCallCommand({ tool: name, arguments: args });
  const verdict: Verdict = policy ? judgeCommands(policy, subject(s), [command]) : { action: "allow" };
  if (verdict.action === "allow") return { kind: "run", tool, rule: null, note: null };
  const rule = verdict.decision.rule;
  if (verdict.action === "deny") {
    const message = `Gatehouse denied this tool call: ${verdict.decision.reason}`;
    return { kind: "refused", result: toolError(message), outcome: "denied", message, rule };
  }
  // What the approver reads: the arguments with secret-looking values replaced (the fingerprint covers the real ones).
  const statement = `tools/call ${name} ${cut(JSON.stringify(redactArguments(args)), 8192)}`;
  const d = await decideAccepted(deps, s.scope.ctx, verdict, { statement, fingerprint: callFingerprint(s, name, args) });
  if (d.kind === "run") return { kind: "run", tool, rule, note: d.message };
  if (d.kind === "refused") return { kind: "refused", result: toolError(d.message), outcome: "denied", message: d.message, rule, reviewId: d.reviewId };
  const pending = {
    status: "pending_approval",
    reviewId: d.reviewId,
    link: d.link,
    reason: verdict.decision.reason,
    next: `An approver decides in the Gatehouse console (the link). Once approved (review_status or review_wait on the gateway's /mcp endpoint say so), call ${name} again with exactly the same arguments within 15 minutes: it then runs, once.`,
  };
  return { kind: "pending", result: toolResult(pending), message: `held for approval: review ${d.reviewId}`, rule, reviewId: d.reviewId };
}

/** Who calls which tool with what: the same call again (canonical arguments) is the one the review approved. */
function callFingerprint(s: McpSession, tool: string, args: Record<string, unknown>): string {
  const h = createHash("sha256");
  for (const part of ["mcp", s.admission.identity.name, s.admission.connection.name, tool, canonicalJson(args)]) h.update(part).update("\0");
  return h.digest("hex");
}

const subject = (s: McpSession) => ({ name: s.admission.identity.name, groups: s.admission.identity.groups });
const cut = (t: string, n: number) => (t.length > n ? `${t.slice(0, n)}... [${t.length - n} more characters]` : t);

/**
 * A JSON-RPC error the SDK's server sends with its message as written. McpError puts "MCP error
 * <code>: " before its message, the server sends that on, and the client's SDK puts it there again:
 * "MCP error -32603: MCP error -32603: ...".
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** The upstream could not be reached: a JSON-RPC error naming it, with its words (the credential cut out). */
export function upstreamUnavailable(err: unknown, s: McpSession): RpcError {
  let words = (err instanceof Error ? err.message : String(err)).replace(/^MCP error -?\d+: /, "");
  for (const f of s.credential.forms) words = words.split(f).join("[secret]");
  // The upstream's words may quote what it holds: through the connection's detectors like its results.
  words = s.masker()?.scanText(words) ?? words;
  // The upstream's own JSON-RPC errors pass with their code; a lost transport or a timeout is the gateway's.
  if (err instanceof McpError && err.code !== ErrorCode.ConnectionClosed && err.code !== ErrorCode.RequestTimeout) return new RpcError(err.code, words, err.data);
  return new RpcError(ErrorCode.InternalError, `the upstream MCP server of ${s.admission.connection.name} could not be reached: ${words.slice(0, 500)}`);
}
