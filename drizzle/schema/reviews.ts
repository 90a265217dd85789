import { pgTable, text, uuid, timestamp, integer, jsonb, index } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

export const REVIEW_STATUSES = ["pending", "approved", "rejected", "expired", "cancelled"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export type ReviewApproval = { by: string; at: string };
/** What the parser says the held statement does, for the approver. */
/** `locks`: the strongest table lock a SQL statement takes (absent on reviews recorded before it was kept, and for commands). */
export type ReviewSummary = { kind: string; classes: string[]; tables: string[]; functions: string[]; locks?: string | null };
/** The planner's estimate for a write (EXPLAIN without executing), or why there is none. */
/**
 * What a held write would touch: the planner's estimate, or an exact count (`counted`); at most
 * `upperBound` rows when the planner's figure cannot be trusted and the table's rows were counted.
 */
export type BlastRadius = { estimatedRows?: number; counted?: boolean; upperBound?: number; plan?: string; note?: string };

/**
 * A statement held for a human decision. The gateway instance holding it inserts the row and
 * waits; the console decides by updating it and publishing `reviews.decided` on the bus, so the
 * decision reaches whichever instance holds the statement.
 */
export const reviews = pgTable(
  "reviews",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    status: text("status", { enum: REVIEW_STATUSES }).notNull().default("pending"),
    sessionId: uuid("session_id"),
    connectionName: text("connection_name").notNull(),
    protocol: text("protocol").notNull(),
    identityName: text("identity_name").notNull(),
    groups: text("groups").array().notNull(),
    clientAddr: text("client_addr"),
    statement: text("statement").notNull(),
    summary: jsonb("summary").$type<ReviewSummary>().notNull(),
    ruleName: text("rule_name"),
    reason: text("reason").notNull(),
    /** Groups whose members may decide; empty: any approver. */
    approverGroups: text("approver_groups").array().notNull(),
    requiredApprovals: integer("required_approvals").notNull().default(1),
    approvals: jsonb("approvals").$type<ReviewApproval[]>().notNull().default([]),
    blastRadius: jsonb("blast_radius").$type<BlastRadius>(),
    decidedBy: text("decided_by"),
    decisionReason: text("decision_reason"),
    gatewayInstance: text("gateway_instance").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    /**
     * A request answered at once with 202 (an HTTP connection's "answer held requests at once"): what
     * identifies the request (method, path, query, body) so that the same request sent again after
     * approval runs, once; and when it did.
     */
    requestFingerprint: text("request_fingerprint"),
    consumedAt: timestamp("consumed_at", { withTimezone: true }),
  },
  (t) => [index("reviews_status_created_idx").on(t.status, t.createdAt), index("reviews_request_fingerprint_idx").on(t.requestFingerprint)],
);
