import "server-only";
import type { Db } from "../../drizzle/client";
import { approvePinsOf, toolPinsOf } from "../../core/mcp/tool-pins";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { getConnectionRow } from "./get-connection";

async function mcpConnection(db: Db, id: string) {
  const row = await getConnectionRow(db, id);
  if (row.type !== "mcp") throw new AppError("INVALID_INPUT", `${row.name} is a ${row.type} connection; only MCP connections have tools to approve`);
  return row;
}

/** The tools an MCP connection's server offered when the gateway last looked, with their approval state. */
export async function listMcpTools(db: Db, id: string) {
  await mcpConnection(db, id);
  return toolPinsOf(db, id);
}

/**
 * Approves a tool's definition as the admin read it (`hash`): a definition that changed meanwhile is
 * not approved blindly. Audited as console.connection.mcp-tool.approve.
 */
export async function approveMcpTool(db: Db, user: ConsoleUserContext, id: string, tool: string, hash: string) {
  const row = await mcpConnection(db, id);
  const approved = await approvePinsOf(db, id, { tool, hash, by: user.email });
  const outcome = approved.length ? "ok" : "error";
  await recordConsoleEvent(db, {
    action: "console.connection.mcp-tool.approve",
    outcome,
    actor: user.email,
    connectionName: row.name,
    target: `${row.name} ${tool}`,
    after: { tool, hash },
    message: approved.length ? `approved the definition ${hash.slice(0, 16)}… of tool ${tool}` : `tool ${tool} is not waiting with that definition`,
  });
  if (!approved.length) throw new AppError("CONFLICT", `tool ${tool} of ${row.name} is not waiting with that definition any more; reload the page and read it again`);
  return { tool };
}
