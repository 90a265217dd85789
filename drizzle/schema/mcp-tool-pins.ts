import { pgTable, text, uuid, jsonb, timestamp, primaryKey } from "drizzle-orm/pg-core";
import { connections } from "./connections";

/** A tool's definition as pinned: what its hash covers. */
export type McpToolDefinition = { name: string; description: string | null; inputSchema: unknown };

/**
 * The definition of each tool an upstream MCP server (a connection of type `mcp`) offers, as the
 * gateway last saw it and as an admin last approved it (a SHA-256 of name, description and input
 * schema). A tool is served only while the two hashes are equal: a new tool, or one whose
 * description or schema changed (tool poisoning), waits for an admin's approval.
 */
export const mcpToolPins = pgTable(
  "mcp_tool_pins",
  {
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    toolName: text("tool_name").notNull(),
    seenHash: text("seen_hash").notNull(),
    seenDefinition: jsonb("seen_definition").$type<McpToolDefinition>().notNull(),
    seenAt: timestamp("seen_at", { withTimezone: true }).notNull().defaultNow(),
    approvedHash: text("approved_hash"),
    approvedDefinition: jsonb("approved_definition").$type<McpToolDefinition>(),
    approvedBy: text("approved_by"),
    approvedAt: timestamp("approved_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.toolName] })],
);
