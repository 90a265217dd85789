import { CallToolResultSchema, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { GatewayDeps } from "../../../gateway-deps";
import { redactArguments, toolError } from "../tool-call";
import { judgeCall, RpcError, upstreamUnavailable, type CallVerdict, type McpSession } from "./tool-gate";
import { maskToolResult } from "./mask-result";
import type { UpstreamPool } from "./upstream-pool";

/**
 * One `tools/call` on an upstream MCP server, start to end: judged (tool-gate.ts), sent upstream
 * with the connection's credential, its result masked, and one `mcp.tool.call` audit event
 * (the shape of /mcp's: tool, arguments with secrets redacted, outcome; here the session is the
 * client's own on the MCP connection, so the call is also its statement).
 */
export async function callUpstreamTool(deps: GatewayDeps, pool: UpstreamPool, s: McpSession, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
  const started = performance.now();
  const ended = new AbortController();
  const inFlight = { end: (reason: string) => ended.abort(new Error(reason)) };
  s.inFlight.add(inFlight);
  const both = AbortSignal.any([signal, ended.signal]);
  let verdict: CallVerdict | undefined;
  const audit = (outcome: "ok" | "error" | "denied", message: string, extra: Record<string, unknown> = {}) => {
    const mask = s.scope.textMask() ?? ((t: string) => t);
    const shown = redactArguments(args, mask);
    s.scope.audit({
      action: "mcp.tool.call",
      outcome,
      statement: `${name} ${JSON.stringify(shown)}`,
      statementKind: name,
      durationMs: Math.round(performance.now() - started),
      message,
      details: { tool: name, arguments: shown, rule: verdict && "rule" in verdict ? verdict.rule : null, ...extra },
    });
  };
  try {
    if (s.endedBy !== null) return sessionEnded(s.endedBy);
    verdict = await judgeCall(deps, pool, s, name, args, both);
    if (verdict.kind === "refused") {
      audit(verdict.outcome, verdict.message, verdict.reviewId ? { reviewId: verdict.reviewId } : {});
      return verdict.result;
    }
    if (verdict.kind === "pending") {
      audit("denied", verdict.message, { reviewId: verdict.reviewId, pending: true });
      return verdict.result;
    }
    const { connection } = s.admission;
    let raw: CallToolResult;
    try {
      const client = await pool.client(connection.id, s.settings, connection.secret.credential);
      raw = (await client.callTool({ name, arguments: args }, CallToolResultSchema, { timeout: s.settings.timeoutMs, signal: both })) as CallToolResult;
    } catch (err) {
      if (ended.signal.aborted) {
        audit("error", `ended while running: ${(ended.signal.reason as Error).message}`);
        return sessionEnded((ended.signal.reason as Error).message);
      }
      if (!(err instanceof McpError)) pool.reset(connection.id);
      throw upstreamUnavailable(err, s);
    }
    const masker = s.masker();
    const result = maskToolResult(raw, masker, s.credential.forms);
    const masked = masker?.takeCounts();
    const note = [verdict.note, raw.isError ? "the tool reported an error" : null].filter(Boolean).join("; ");
    audit(raw.isError ? "error" : "ok", note || `${name}: ok`, masked ? { masked } : {});
    return result;
  } catch (err) {
    const e = err instanceof RpcError ? err : upstreamUnavailable(err, s);
    audit("error", e.message);
    throw e;
  } finally {
    s.inFlight.delete(inFlight);
  }
}

function sessionEnded(reason: string): CallToolResult {
  return toolError(`Gatehouse ended this session: ${reason}`);
}
