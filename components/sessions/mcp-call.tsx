"use client";

/** What an `mcp.tool.call` event's details hold, as the session timeline shows them. */
type ToolCallDetails = { tool?: unknown; arguments?: unknown };

/**
 * One MCP tool call in a session's timeline: the tool, the connection it reached, and its arguments
 * (as the audit keeps them: secret-looking values replaced, the connection's detectors applied).
 */
export function McpCall({ details, connection }: { details: unknown; connection: string | null }) {
  const d = (details && typeof details === "object" ? details : {}) as ToolCallDetails;
  const tool = typeof d.tool === "string" ? d.tool : "tool call";
  const args = d.arguments && typeof d.arguments === "object" ? JSON.stringify(d.arguments) : null;
  return (
    <div data-testid="mcp-call">
      <code className="font-mono text-xs font-semibold">{tool}</code>
      {connection ? <span className="text-xs text-slate-500"> on {connection}</span> : null}
      {args ? <code className="mt-0.5 line-clamp-4 block whitespace-pre-wrap break-words font-mono text-[11px] text-slate-600">{args}</code> : null}
    </div>
  );
}
