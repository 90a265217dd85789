import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, mcpToolPins, type McpToolDefinition } from "../../drizzle/schema/index";

/** A tool as an upstream lists it: what its pin covers (annotations and output schema are not pinned). */
export type ListedTool = { name: string; description?: string; inputSchema: unknown };

/** approved: served; new: never approved; changed: its definition differs from the one approved. */
export type PinState = "approved" | "new" | "changed";

export const TRUSTED_ON_FIRST_USE = "trusted on first use (the connection trusts new tools)";

/** JSON with object keys sorted, so that the same value always hashes alike. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

export const definitionOf = (t: ListedTool): McpToolDefinition => ({ name: t.name, description: t.description ?? null, inputSchema: t.inputSchema ?? null });

/** SHA-256 of the tool's name, description and input schema (canonical JSON), hex. */
export const definitionHash = (t: ListedTool): string =>
  createHash("sha256")
    .update(canonicalJson(definitionOf(t)))
    .digest("hex");

/**
 * Records what the upstream lists now and says, per tool, whether it may be served. A tool seen for
 * the first time is approved at once only when the connection trusts new tools (its definition is
 * then the approved one); a changed definition is never approved here. Rows are written only when
 * something differs, so a steady upstream costs one read.
 */
export async function pinTools(db: Db, connectionId: string, tools: readonly ListedTool[], opts: { trustNew: boolean }): Promise<Map<string, PinState>> {
  const rows = await db.select().from(mcpToolPins).where(eq(mcpToolPins.connectionId, connectionId));
  const byName = new Map(rows.map((r) => [r.toolName, r]));
  const states = new Map<string, PinState>();
  for (const tool of tools) {
    const hash = definitionHash(tool);
    const row = byName.get(tool.name);
    if (!row) {
      const trusted = opts.trustNew;
      const def = definitionOf(tool);
      const [inserted] = await db
        .insert(mcpToolPins)
        .values({
          connectionId,
          toolName: tool.name,
          seenHash: hash,
          seenDefinition: def,
          ...(trusted ? { approvedHash: hash, approvedDefinition: def, approvedBy: TRUSTED_ON_FIRST_USE, approvedAt: new Date() } : {}),
        })
        .onConflictDoNothing()
        .returning({ approvedHash: mcpToolPins.approvedHash });
      if (inserted) {
        states.set(tool.name, trusted ? "approved" : "new");
        continue;
      }
      // Another instance recorded it first: what it decided stands.
      const [theirs] = await db
        .select({ approvedHash: mcpToolPins.approvedHash })
        .from(mcpToolPins)
        .where(and(eq(mcpToolPins.connectionId, connectionId), eq(mcpToolPins.toolName, tool.name)));
      states.set(tool.name, theirs?.approvedHash === hash ? "approved" : theirs?.approvedHash ? "changed" : "new");
      continue;
    }
    if (row.seenHash !== hash) {
      await db
        .update(mcpToolPins)
        .set({ seenHash: hash, seenDefinition: definitionOf(tool), seenAt: sql`now()` })
        .where(and(eq(mcpToolPins.connectionId, connectionId), eq(mcpToolPins.toolName, tool.name)));
    }
    states.set(tool.name, row.approvedHash === hash ? "approved" : row.approvedHash ? "changed" : "new");
  }
  return states;
}

export type ToolPin = {
  tool: string;
  state: PinState;
  seenHash: string;
  seenAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  description: string | null;
  approvedDescription: string | null;
  /** The input schema as last seen (what an approval approves, with the description). */
  inputSchema: unknown;
};

/** The tools of an MCP connection as last seen, with their approval state (throws for a name that is not an MCP connection). */
export async function listToolPins(db: Db, connectionName: string): Promise<ToolPin[]> {
  return toolPinsOf(db, await mcpConnectionId(db, connectionName));
}

export async function toolPinsOf(db: Db, connectionId: string): Promise<ToolPin[]> {
  const rows = await db.select().from(mcpToolPins).where(eq(mcpToolPins.connectionId, connectionId)).orderBy(mcpToolPins.toolName);
  return rows.map((r) => ({
    tool: r.toolName,
    state: r.approvedHash === r.seenHash ? "approved" : r.approvedHash ? "changed" : "new",
    seenHash: r.seenHash,
    seenAt: r.seenAt,
    approvedBy: r.approvedBy,
    approvedAt: r.approvedAt,
    description: r.seenDefinition.description,
    approvedDescription: r.approvedDefinition?.description ?? null,
    inputSchema: r.seenDefinition.inputSchema,
  }));
}

/**
 * Approves the definitions last seen: one tool, or every tool waiting (new or changed). With
 * `hash`, only if the tool's definition is still that one (what the admin read is what is approved).
 * Returns the tools approved.
 */
export async function approveToolPins(db: Db, connectionName: string, opts: { tool?: string; hash?: string; by: string }): Promise<string[]> {
  return approvePinsOf(db, await mcpConnectionId(db, connectionName), opts);
}

export async function approvePinsOf(db: Db, connectionId: string, opts: { tool?: string; hash?: string; by: string }): Promise<string[]> {
  const conditions = [eq(mcpToolPins.connectionId, connectionId), sql`${mcpToolPins.approvedHash} is distinct from ${mcpToolPins.seenHash}`];
  if (opts.tool) conditions.push(eq(mcpToolPins.toolName, opts.tool));
  if (opts.hash) conditions.push(eq(mcpToolPins.seenHash, opts.hash));
  const done = await db
    .update(mcpToolPins)
    .set({ approvedHash: sql`${mcpToolPins.seenHash}`, approvedDefinition: sql`${mcpToolPins.seenDefinition}`, approvedBy: opts.by, approvedAt: sql`now()` })
    .where(and(...conditions))
    .returning({ tool: mcpToolPins.toolName });
  return done.map((d) => d.tool).sort();
}

/** Withdraws the approval of one tool (it is hidden and refused until approved again). */
export async function revokeToolPin(db: Db, connectionName: string, tool: string): Promise<boolean> {
  const connectionId = await mcpConnectionId(db, connectionName);
  const done = await db
    .update(mcpToolPins)
    .set({ approvedHash: null, approvedDefinition: null, approvedBy: null, approvedAt: null })
    .where(and(eq(mcpToolPins.connectionId, connectionId), eq(mcpToolPins.toolName, tool)))
    .returning({ tool: mcpToolPins.toolName });
  return done.length > 0;
}

async function mcpConnectionId(db: Db, name: string): Promise<string> {
  const [c] = await db.select({ id: connections.id, type: connections.type }).from(connections).where(eq(connections.name, name));
  if (!c || c.type !== "mcp") throw new Error(`no MCP connection named "${name}"`);
  return c.id;
}
