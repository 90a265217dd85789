import { and, desc, eq, gte, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { dataBudgets, dataBudgetUsage } from "../../drizzle/schema/index";
import { publish } from "../bus/event-bus";
import { budgetInput, windowStartOf, type BudgetInput, type BudgetRule } from "./budget-rules";

const RULE_COLUMNS = {
  id: dataBudgets.id,
  name: dataBudgets.name,
  subjectKind: dataBudgets.subjectKind,
  subject: dataBudgets.subject,
  connection: dataBudgets.connection,
  maxRows: dataBudgets.maxRows,
  maxBytes: dataBudgets.maxBytes,
  windowSeconds: dataBudgets.windowSeconds,
  onExceed: dataBudgets.onExceed,
  warnPercent: dataBudgets.warnPercent,
};

/** Validates and stores a budget (a new one, or the one of that name replaced), then tells every gateway instance. */
export async function saveBudget(db: Db, input: BudgetInput, by: string): Promise<BudgetRule> {
  const parsed = budgetInput.safeParse(input);
  if (!parsed.success) throw new Error(`invalid budget: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const b = { ...parsed.data, subject: parsed.data.subjectKind === "everyone" ? "" : parsed.data.subject.trim() };
  const [row] = await db
    .insert(dataBudgets)
    .values({ ...b, createdBy: by })
    .onConflictDoUpdate({ target: dataBudgets.name, set: { ...b, createdBy: by, createdAt: sql`now()` } })
    .returning(RULE_COLUMNS);
  await publish(db, "budgets.changed", { budgetId: row.id });
  return row;
}

export async function removeBudget(db: Db, name: string): Promise<boolean> {
  const rows = await db.delete(dataBudgets).where(eq(dataBudgets.name, name)).returning({ id: dataBudgets.id });
  if (rows.length) await publish(db, "budgets.changed", { budgetId: rows[0].id });
  return rows.length > 0;
}

export async function listBudgets(db: Db): Promise<Array<BudgetRule & { createdBy: string; createdAt: Date }>> {
  return db
    .select({ ...RULE_COLUMNS, createdBy: dataBudgets.createdBy, createdAt: dataBudgets.createdAt })
    .from(dataBudgets)
    .orderBy(dataBudgets.name);
}

/** Every budget, for the gateway's cache. */
export async function loadBudgetRules(db: Db): Promise<BudgetRule[]> {
  return db.select(RULE_COLUMNS).from(dataBudgets);
}

export type BudgetUse = {
  budget: string;
  identityName: string;
  windowStart: Date;
  rows: number;
  bytes: number;
  maxRows: number | null;
  maxBytes: number | null;
  extraRows: number;
  extraBytes: number;
  /** The larger of rows/limit and bytes/limit, in percent of the budget (with what approvers added). */
  percent: number;
  current: boolean;
  exceededAt: Date | null;
};

/**
 * What identities used of their budgets: the current windows first (`current`), then earlier ones
 * back to `since` (the history), newest first; optionally one identity's.
 */
export async function budgetUsage(db: Db, opts: { identityName?: string; since?: Date; limit?: number } = {}): Promise<BudgetUse[]> {
  const since = opts.since ?? new Date(Date.now() - 7 * 86400_000);
  const rows = await db
    .select({
      budget: dataBudgets.name,
      windowSeconds: dataBudgets.windowSeconds,
      identityName: dataBudgetUsage.identityName,
      windowStart: dataBudgetUsage.windowStart,
      rows: dataBudgetUsage.rows,
      bytes: dataBudgetUsage.bytes,
      maxRows: dataBudgets.maxRows,
      maxBytes: dataBudgets.maxBytes,
      extraRows: dataBudgetUsage.extraRows,
      extraBytes: dataBudgetUsage.extraBytes,
      exceededAt: dataBudgetUsage.exceededAt,
    })
    .from(dataBudgetUsage)
    .innerJoin(dataBudgets, eq(dataBudgets.id, dataBudgetUsage.budgetId))
    .where(and(gte(dataBudgetUsage.windowStart, since), opts.identityName ? eq(dataBudgetUsage.identityName, opts.identityName) : undefined))
    .orderBy(desc(dataBudgetUsage.windowStart), dataBudgetUsage.identityName)
    .limit(opts.limit ?? 500);
  const now = Date.now();
  return rows.map(({ windowSeconds, ...r }) => {
    const share = (used: number, max: number | null, extra: number) => (max == null ? 0 : (100 * used) / (max + extra));
    return {
      ...r,
      percent: Math.round(Math.max(share(r.rows, r.maxRows, r.extraRows), share(r.bytes, r.maxBytes, r.extraBytes))),
      current: windowStartOf(windowSeconds, now) === r.windowStart.getTime(),
    };
  });
}
