import "server-only";
import type { Db } from "../../drizzle/client";
import { describeLimits, type BudgetInput } from "../../core/budgets/budget-rules";
import { budgetUsage, listBudgets, removeBudget, saveBudget } from "../../core/budgets/manage-budgets";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";

/** The budgets and what identities used of them: current windows, and the last 7 days' history. */
export async function budgetsOverview(db: Db) {
  const [budgets, usage] = await Promise.all([listBudgets(db), budgetUsage(db)]);
  return { budgets: budgets.map((b) => ({ ...b, limits: describeLimits(b) })), usage };
}

/** Identities at or past their budgets' warning marks in the current windows (the overview's count). */
export async function identitiesNearBudgets(db: Db): Promise<{ near: number; over: number }> {
  const [budgets, usage] = await Promise.all([listBudgets(db), budgetUsage(db, { since: new Date(Date.now() - 31 * 86400_000) })]);
  const warnAt = new Map(budgets.map((b) => [b.name, b.warnPercent]));
  const near = new Set<string>();
  const over = new Set<string>();
  for (const u of usage) {
    if (!u.current) continue;
    if (u.exceededAt || u.percent >= 100) over.add(u.identityName);
    else if (u.percent >= (warnAt.get(u.budget) ?? 80)) near.add(u.identityName);
  }
  for (const o of over) near.delete(o);
  return { near: near.size, over: over.size };
}

export async function saveBudgetFromConsole(db: Db, user: ConsoleUserContext, input: BudgetInput) {
  let saved;
  try {
    saved = await saveBudget(db, input, user.email);
  } catch (err) {
    throw new AppError("INVALID_INPUT", (err as Error).message);
  }
  await recordConsoleEvent(db, {
    action: "console.budget.save",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: user.identityId,
    target: saved.name,
    message: `data budget ${saved.name}: ${describeLimits(saved)} on ${saved.connection}, past it ${saved.onExceed}`,
    after: saved,
  });
  return saved;
}

export async function removeBudgetFromConsole(db: Db, user: ConsoleUserContext, name: string) {
  if (!(await removeBudget(db, name))) throw new AppError("NOT_FOUND", `there is no budget named ${name} (already removed?)`);
  await recordConsoleEvent(db, { action: "console.budget.remove", outcome: "ok", actor: user.email, actorIdentityId: user.identityId, target: name, message: `data budget ${name} removed` });
  return { name };
}
