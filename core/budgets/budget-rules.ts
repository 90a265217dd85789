import { z } from "zod";
import type { DataBudget } from "../../drizzle/schema/index";
import { wildcardPattern } from "../policy/wildcard";

/** A budget as the data path uses it (see drizzle/schema/data-budgets.ts). */
export type BudgetRule = Pick<DataBudget, "id" | "name" | "subjectKind" | "subject" | "connection" | "maxRows" | "maxBytes" | "windowSeconds" | "onExceed" | "warnPercent">;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const SIZE: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `1h`, `30m`, `1d`, `900s` (or a bare number of seconds) -> seconds; at least a minute, at most 31 days. */
export function parseWindow(text: string): number {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(text);
  if (!m) throw new Error(`window "${text}" is not a duration such as 1h, 30m or 1d`);
  const seconds = Number(m[1]) * UNITS[(m[2] || "s").toLowerCase()];
  if (seconds < 60 || seconds > 31 * 86400) throw new Error(`window "${text}" must be between 1 minute and 31 days`);
  return seconds;
}

/** `10000`, `10k`, `1.5m` rows; `100MB`, `1GiB` bytes -> a positive whole number. */
export function parseAmount(text: string, what: "rows" | "bytes"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = m ? SIZE[m[2].toLowerCase()] : undefined;
  if (!m || factor === undefined) throw new Error(`${what} "${text}" is not an amount such as 10000, 10k${what === "bytes" ? ", 100MB or 1GiB" : ""}`);
  const n = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${what} "${text}" must be at least 1`);
  return n;
}

export function describeWindow(seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? "day" : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? "hour" : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? "minute" : `${seconds / 60} minutes`;
  return `${seconds} s`;
}

/** "10,000 rows and 100,000,000 bytes per hour" */
export function describeLimits(b: Pick<BudgetRule, "maxRows" | "maxBytes" | "windowSeconds">): string {
  const parts = [b.maxRows != null ? `${b.maxRows.toLocaleString("en")} rows` : null, b.maxBytes != null ? `${b.maxBytes.toLocaleString("en")} bytes` : null].filter(Boolean);
  return `${parts.join(" and ")} per ${describeWindow(b.windowSeconds)}`;
}

export const budgetInput = z
  .object({
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/, "a budget's name is letters, digits and _ . : -"),
    subjectKind: z.enum(["identity", "group", "everyone"]),
    subject: z.string().max(200).default(""),
    connection: z.string().min(1).max(200).default("*"),
    maxRows: z.number().int().positive().nullable().default(null),
    maxBytes: z.number().int().positive().nullable().default(null),
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(31 * 86400),
    onExceed: z.enum(["refuse", "review"]),
    warnPercent: z.number().int().min(1).max(100).default(80),
  })
  .refine((b) => b.maxRows != null || b.maxBytes != null, { message: "a budget needs a row limit, a byte limit or both" })
  .refine((b) => b.subjectKind === "everyone" || b.subject.trim().length > 0, { message: "name the identity or group the budget applies to" });
export type BudgetInput = z.input<typeof budgetInput>;

/** The start of the fixed window (aligned to the clock, UTC) that `at` falls in. */
export function windowStartOf(windowSeconds: number, at: number): number {
  const ms = windowSeconds * 1000;
  return Math.floor(at / ms) * ms;
}

/** The budgets that bind `identity` (a member of `groups`) on `connection`. */
export function budgetsFor(rules: readonly BudgetRule[], identity: { name: string; groups: readonly string[] }, connection: string): BudgetRule[] {
  return rules.filter((r) => {
    if (!wildcardPattern(r.connection).test(connection)) return false;
    if (r.subjectKind === "everyone") return true;
    if (r.subjectKind === "identity") return r.subject === identity.name;
    return identity.groups.includes(r.subject);
  });
}
