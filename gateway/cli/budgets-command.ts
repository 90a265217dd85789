import { cliActor } from "./cli-actor";
import type { Db } from "../../drizzle/client";
import { describeLimits, parseAmount, parseWindow } from "../../core/budgets/budget-rules";
import { budgetUsage, listBudgets, removeBudget, saveBudget } from "../../core/budgets/manage-budgets";
import { UsageError } from "./usage-error";

export const BUDGETS_USAGE = `  budgets add <name> (--identity I | --group G | --everyone) [--connection C] [--rows N] [--bytes N]
        --window 1h --on-exceed refuse|review [--warn 80]  an exfiltration budget: result rows/bytes per window
  budgets list [--json] / budgets remove <name>        the budgets
  budgets usage [--identity I] [--json]                use against the budgets, current windows and the last 7 days`;

export const BUDGET_FLAGS = {
  group: { type: "string" },
  everyone: { type: "boolean" },
  connection: { type: "string" },
  rows: { type: "string" },
  bytes: { type: "string" },
  window: { type: "string" },
  "on-exceed": { type: "string" },
  warn: { type: "string" },
} as const;

type Opts = {
  identity?: string;
  group?: string;
  everyone?: boolean;
  connection?: string;
  rows?: string;
  bytes?: string;
  window?: string;
  "on-exceed"?: string;
  warn?: string;
  json?: boolean;
  as?: string;
};
type Out = (line: string) => void;

function subjectOf(o: Opts): { subjectKind: "identity" | "group" | "everyone"; subject: string } {
  const given = [o.identity !== undefined, o.group !== undefined, Boolean(o.everyone)].filter(Boolean).length;
  if (given !== 1) throw new UsageError("name whom the budget binds: one of --identity <name>, --group <group> or --everyone");
  if (o.everyone) return { subjectKind: "everyone", subject: "" };
  return o.identity !== undefined ? { subjectKind: "identity", subject: o.identity } : { subjectKind: "group", subject: o.group! };
}

export async function runBudgetsCommand(db: Db, sub: string | undefined, args: string[], o: Opts, out: Out): Promise<void> {
  if (sub === "add") {
    const name = args[0];
    if (!name) throw new UsageError("budgets add needs <name>");
    if (!o.window) throw new UsageError("budgets add needs --window (for example 1h)");
    if (o["on-exceed"] !== "refuse" && o["on-exceed"] !== "review") throw new UsageError("budgets add needs --on-exceed refuse or --on-exceed review");
    if (o.rows === undefined && o.bytes === undefined) throw new UsageError("budgets add needs --rows, --bytes or both");
    const warn = o.warn === undefined ? 80 : Number(o.warn);
    if (!Number.isInteger(warn) || warn < 1 || warn > 100) throw new UsageError("--warn is a percentage from 1 to 100");
    const saved = await saveBudget(
      db,
      {
        name,
        ...subjectOf(o),
        connection: o.connection ?? "*",
        maxRows: o.rows === undefined ? null : parseAmount(o.rows, "rows"),
        maxBytes: o.bytes === undefined ? null : parseAmount(o.bytes, "bytes"),
        windowSeconds: parseWindow(o.window),
        onExceed: o["on-exceed"],
        warnPercent: warn,
      },
      o.as ?? cliActor(),
    );
    return out(`budget ${saved.name}: ${describeLimits(saved)} on ${saved.connection}; past it: ${saved.onExceed}`);
  }
  if (sub === "list") {
    const all = await listBudgets(db);
    if (!o.json && all.length === 0) return out("no budgets: add one with gatehouse budgets add");
    for (const b of all) {
      if (o.json) out(JSON.stringify(b));
      else out(`${b.name}\t${b.subjectKind === "everyone" ? "everyone" : `${b.subjectKind} ${b.subject}`}\t${b.connection}\t${describeLimits(b)}\t${b.onExceed}\twarn at ${b.warnPercent}%`);
    }
    return;
  }
  if (sub === "remove") {
    if (!args[0]) throw new UsageError("budgets remove needs <name>");
    if (!(await removeBudget(db, args[0]))) throw new Error(`no budget named ${args[0]}`);
    return out(`budget ${args[0]} removed`);
  }
  if (sub === "usage") {
    const use = await budgetUsage(db, { identityName: o.identity });
    if (!o.json && use.length === 0) return out("no use recorded in the last 7 days");
    for (const u of use) {
      if (o.json) out(JSON.stringify(u));
      else out(`${u.identityName}\t${u.budget}\t${u.windowStart.toISOString()}${u.current ? " (now)" : ""}\t${u.rows} rows\t${u.bytes} bytes\t${u.percent}%${u.exceededAt ? "\texceeded" : ""}`);
    }
    return;
  }
  throw new UsageError(`unknown budgets command "${sub ?? ""}"`);
}
