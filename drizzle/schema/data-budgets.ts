import { pgTable, text, uuid, integer, bigint, timestamp, primaryKey, index } from "drizzle-orm/pg-core";

/**
 * An exfiltration budget: how many result rows and bytes an identity (or each member of a group,
 * or everyone) may receive from the connections a pattern names, per fixed window of the clock
 * (for example 10,000 rows per hour). Near it the client is warned; past it the session is held
 * for an approver to extend it (`review`) or the result is cut off with an error (`refuse`).
 */
export const dataBudgets = pgTable("data_budgets", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  /** `identity`: one identity by name; `group`: each member of a group on its own; `everyone`: each identity on its own. */
  subjectKind: text("subject_kind").$type<"identity" | "group" | "everyone">().notNull(),
  subject: text("subject").notNull().default(""),
  /** A connection name or a glob (`*`, `prod-*`). */
  connection: text("connection").notNull().default("*"),
  maxRows: bigint("max_rows", { mode: "number" }),
  maxBytes: bigint("max_bytes", { mode: "number" }),
  windowSeconds: integer("window_seconds").notNull(),
  onExceed: text("on_exceed").$type<"refuse" | "review">().notNull(),
  warnPercent: integer("warn_percent").notNull().default(80),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * What each identity used of a budget in one window, summed over every session, protocol and
 * gateway instance (each instance adds its deltas in batches). `extra*`: what approvers granted
 * on top of the budget in that window.
 */
export const dataBudgetUsage = pgTable(
  "data_budget_usage",
  {
    budgetId: uuid("budget_id")
      .notNull()
      .references(() => dataBudgets.id, { onDelete: "cascade" }),
    identityName: text("identity_name").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    rows: bigint("rows", { mode: "number" }).notNull().default(0),
    bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
    extraRows: bigint("extra_rows", { mode: "number" }).notNull().default(0),
    extraBytes: bigint("extra_bytes", { mode: "number" }).notNull().default(0),
    exceededAt: timestamp("exceeded_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.budgetId, t.identityName, t.windowStart] }), index("data_budget_usage_window_idx").on(t.windowStart)],
);

export type DataBudget = typeof dataBudgets.$inferSelect;
