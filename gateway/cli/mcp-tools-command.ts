import { cliActor } from "./cli-actor";
import type { Db } from "../../drizzle/client";
import { approveToolPins, listToolPins, revokeToolPin } from "../../core/mcp/tool-pins";
import { UsageError } from "./usage-error";

export const MCP_TOOLS_USAGE = `  mcp-tools list <connection> [--json]                 an MCP connection's tools as last seen: approved, new or changed
  mcp-tools approve <connection> [<tool>] [--hash H]   approve the definitions last seen (one tool, or all waiting)
  mcp-tools revoke <connection> <tool>                 withdraw a tool's approval (hidden and refused again)`;

type Out = (line: string) => void;

export async function runMcpToolsCommand(db: Db, sub: string | undefined, args: string[], opts: { json?: boolean; hash?: string; as?: string }, out: Out): Promise<void> {
  const connection = args[0];
  if (sub === "list") {
    if (!connection) throw new UsageError("mcp-tools list needs <connection>");
    const pins = await listToolPins(db, connection);
    if (!opts.json && pins.length === 0) return out("no tools seen yet: the gateway records them when an agent first lists or calls them");
    for (const p of pins) {
      if (opts.json) out(JSON.stringify(p));
      else out(`${p.tool}\t${p.state}\t${p.seenHash.slice(0, 16)}\t${p.approvedBy ?? "-"}\t${(p.description ?? "").replace(/\s+/g, " ").slice(0, 80)}`);
    }
    return;
  }
  if (sub === "approve") {
    if (!connection) throw new UsageError("mcp-tools approve needs <connection> [<tool>]");
    if (opts.hash && !args[1]) throw new UsageError("--hash approves one tool: name it");
    const approved = await approveToolPins(db, connection, { tool: args[1], hash: opts.hash, by: opts.as ?? cliActor() });
    if (approved.length === 0)
      throw new Error(args[1] ? `nothing to approve: ${args[1]} is not waiting${opts.hash ? " with that hash" : ""} (see mcp-tools list ${connection})` : "nothing waits for approval");
    return out(`approved ${approved.join(", ")} on ${connection}`);
  }
  if (sub === "revoke") {
    if (!connection || !args[1]) throw new UsageError("mcp-tools revoke needs <connection> <tool>");
    if (!(await revokeToolPin(db, connection, args[1]))) throw new Error(`no tool ${args[1]} seen on ${connection}`);
    return out(`approval of ${args[1]} on ${connection} withdrawn`);
  }
  throw new UsageError(`unknown mcp-tools command "${sub ?? ""}"`);
}
