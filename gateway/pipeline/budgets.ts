import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { dataBudgetUsage } from "../../drizzle/schema/index";
import type { Bus } from "../../core/bus/event-bus";
import { budgetsFor, describeLimits, describeWindow, windowStartOf, type BudgetRule } from "../../core/budgets/budget-rules";
import { loadBudgetRules } from "../../core/budgets/manage-budgets";

/**
 * One identity's use of one budget in the current window. `shared*` is the database's total as this
 * instance last read it (every session, protocol and instance), `local*` what this instance counted
 * since it last added its share, `extra*` what approvers granted in this window.
 */
class Account {
  windowStart = 0;
  sharedRows = 0;
  sharedBytes = 0;
  localRows = 0;
  localBytes = 0;
  extraRows = 0;
  extraBytes = 0;
  /** Unflushed counts of windows that ended, added at the next flush. */
  carried: Array<{ windowStart: number; rows: number; bytes: number }> = [];
  exceeded = false;
  /** `exceeded` is in the database already (the flush need not write it again). */
  exceededStored = false;
  sessions = 0;
  idleSince = Date.now();

  constructor(
    readonly rule: BudgetRule,
    readonly identityName: string,
  ) {}

  roll(now: number): void {
    const start = windowStartOf(this.rule.windowSeconds, now);
    if (start === this.windowStart) return;
    if (this.localRows || this.localBytes) this.carried.push({ windowStart: this.windowStart, rows: this.localRows, bytes: this.localBytes });
    this.windowStart = start;
    this.sharedRows = this.sharedBytes = this.localRows = this.localBytes = this.extraRows = this.extraBytes = 0;
    this.exceeded = false;
    this.exceededStored = false;
  }

  get rows(): number {
    return this.sharedRows + this.localRows;
  }
  get bytes(): number {
    return this.sharedBytes + this.localBytes;
  }
  get rowLimit(): number {
    return this.rule.maxRows == null ? Infinity : this.rule.maxRows + this.extraRows;
  }
  get byteLimit(): number {
    return this.rule.maxBytes == null ? Infinity : this.rule.maxBytes + this.extraBytes;
  }

  /** "1,000 of 1,000 rows per hour" or with bytes: what the client and the audit are told. */
  figures(): string {
    const parts = [];
    if (this.rule.maxRows != null) parts.push(`${this.rows.toLocaleString("en")} of ${this.rowLimit.toLocaleString("en")} rows`);
    if (this.rule.maxBytes != null) parts.push(`${this.bytes.toLocaleString("en")} of ${this.byteLimit.toLocaleString("en")} bytes`);
    return `${parts.join(" and ")} this ${describeWindow(this.rule.windowSeconds)}`;
  }
}

export type BudgetOverrun = {
  budget: string;
  onExceed: "refuse" | "review";
  /** A sentence for the client and the audit: which budget, what was used, what happens. */
  message: string;
  details: { budget: string; rows: number; bytes: number; maxRows: number | null; maxBytes: number | null; window: string; windowStart: string };
  /** What an approval adds: "1,000 rows" */
  extension: string;
  /** When the window ends and the budget is whole again. */
  resetsAt: Date;
  /** Grants the identity the budget's size again in this window (what an approval does). */
  extend: () => Promise<void>;
};

/**
 * The budgets binding one session, counted as its results stream. `take` is on the data path: a
 * few additions per row, no I/O. It answers `ok`, `warn` (once per window and session: the client
 * should be told `warning()`), or `over`: that row would pass a budget, so it is not counted and
 * must not reach the client (see `overrun()`).
 */
export class SessionBudget {
  private readonly warned = new Map<Account, number>();
  private last: Account | null = null;

  constructor(
    private readonly accounts: Account[],
    private readonly meter: BudgetMeter,
  ) {}

  take(rows: number, bytes: number): "ok" | "warn" | "over" {
    const now = Date.now();
    let answer: "ok" | "warn" = "ok";
    for (const a of this.accounts) {
      a.roll(now);
      if (a.rows + rows > a.rowLimit || a.bytes + bytes > a.byteLimit) {
        this.last = a;
        return "over";
      }
    }
    for (const a of this.accounts) {
      a.localRows += rows;
      a.localBytes += bytes;
      const pct = a.rule.warnPercent / 100;
      if ((a.rows >= a.rowLimit * pct || a.bytes >= a.byteLimit * pct) && this.warned.get(a) !== a.windowStart) {
        this.warned.set(a, a.windowStart);
        this.last = a;
        answer = "warn";
      }
    }
    return answer;
  }

  /**
   * Before a request is sent on (HTTP): `over` when a budget is spent or was exceeded in this window
   * (by this instance: a response was cut off or held at it), `warn` once per window and session past a warning mark, else `ok`. Takes nothing.
   */
  check(): "ok" | "warn" | "over" {
    const now = Date.now();
    for (const a of this.accounts) {
      a.roll(now);
      if (a.exceeded || a.rows >= a.rowLimit || a.bytes >= a.byteLimit) {
        this.last = a;
        return "over";
      }
    }
    return this.take(0, 0);
  }

  /** The warning for the budget `take` last answered `warn` for. */
  warning(): string {
    const a = this.last!;
    return `Gatehouse: ${a.figures()} used of data budget "${a.rule.name}" (${describeLimits(a.rule)}); past it ${a.rule.onExceed === "review" ? "results are held for an approver" : "results are cut off"}`;
  }

  /** The budget `take` last answered `over` for, marked exceeded in the database at the next flush. */
  overrun(): BudgetOverrun {
    const a = this.last!;
    a.exceeded = true;
    const { rule } = a;
    return {
      budget: rule.name,
      onExceed: rule.onExceed,
      message: `data budget "${rule.name}" exceeded: ${a.figures()} (${describeLimits(rule)})`,
      details: {
        budget: rule.name,
        rows: a.rows,
        bytes: a.bytes,
        maxRows: rule.maxRows,
        maxBytes: rule.maxBytes,
        window: describeWindow(rule.windowSeconds),
        windowStart: new Date(a.windowStart).toISOString(),
      },
      extension: [rule.maxRows != null ? `${rule.maxRows.toLocaleString("en")} rows` : null, rule.maxBytes != null ? `${rule.maxBytes.toLocaleString("en")} bytes` : null]
        .filter(Boolean)
        .join(" and "),
      resetsAt: new Date(a.windowStart + rule.windowSeconds * 1000),
      extend: () => this.meter.extend(a),
    };
  }

  /** The session ended: its accounts may be dropped once flushed and idle. */
  close(): void {
    for (const a of this.accounts) {
      a.sessions--;
      a.idleSince = Date.now();
    }
  }
}

/**
 * Exfiltration budgets for every session of this gateway instance: the rules (reloaded when the
 * bus says they changed), and each identity's use, counted in memory and added to the shared
 * database in batches (`flushMs`), which also brings back what other instances added. So the data
 * path never waits on the database; the price is that instances see each other's use up to one
 * flush late, and a budget can be passed by what other instances delivered in that time.
 */
export class BudgetMeter {
  private rules: BudgetRule[] = [];
  private readonly accounts = new Map<string, Account>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private nextFlush: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: (m: string) => void,
    private readonly flushMs = 1000,
  ) {}

  async start(bus?: Bus): Promise<void> {
    await this.reload();
    bus?.on("budgets.changed", () => void this.reload().catch((err) => this.log(`could not reload the data budgets: ${(err as Error).message}`)));
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async reload(): Promise<void> {
    this.rules = await loadBudgetRules(this.db);
    // Accounts of removed or changed budgets are left to their sessions; new sessions see the new rules.
    for (const [key, a] of this.accounts) {
      const now = this.rules.find((r) => r.id === a.rule.id);
      if (!now) this.accounts.delete(key);
      else if (now !== a.rule) Object.assign(a.rule, now);
    }
  }

  /**
   * The budgets binding a new session, with this window's use read from the database (null, and no
   * query, when none binds it). Throws when the use cannot be read: the adapter refuses the session.
   */
  async open(identity: { name: string; groups: readonly string[] }, connectionName: string): Promise<SessionBudget | null> {
    const rules = budgetsFor(this.rules, identity, connectionName);
    if (!rules.length) return null;
    const now = Date.now();
    const accounts = rules.map((rule) => {
      const key = `${rule.id}\n${identity.name}`;
      let a = this.accounts.get(key);
      if (!a) this.accounts.set(key, (a = new Account(rule, identity.name)));
      a.sessions++;
      return a;
    });
    await Promise.all(accounts.filter((a) => a.windowStart !== windowStartOf(a.rule.windowSeconds, now) || a.sessions === 1).map((a) => this.read(a, now)));
    return new SessionBudget(accounts, this);
  }

  private async read(a: Account, now: number): Promise<void> {
    a.roll(now);
    const [row] = await this.db
      .select({ rows: dataBudgetUsage.rows, bytes: dataBudgetUsage.bytes, extraRows: dataBudgetUsage.extraRows, extraBytes: dataBudgetUsage.extraBytes })
      .from(dataBudgetUsage)
      .where(and(eq(dataBudgetUsage.budgetId, a.rule.id), eq(dataBudgetUsage.identityName, a.identityName), eq(dataBudgetUsage.windowStart, new Date(a.windowStart))));
    if (row) Object.assign(a, { sharedRows: row.rows, sharedBytes: row.bytes, extraRows: row.extraRows, extraBytes: row.extraBytes });
  }

  /** An approval: the budget's size again for this identity in this window, stored before the result resumes. */
  async extend(a: Account): Promise<void> {
    await this.flush();
    const rows = a.rule.maxRows ?? 0;
    const bytes = a.rule.maxBytes ?? 0;
    await this.db
      .insert(dataBudgetUsage)
      .values({ budgetId: a.rule.id, identityName: a.identityName, windowStart: new Date(a.windowStart), extraRows: rows, extraBytes: bytes })
      .onConflictDoUpdate({
        target: [dataBudgetUsage.budgetId, dataBudgetUsage.identityName, dataBudgetUsage.windowStart],
        set: { extraRows: sql`${dataBudgetUsage.extraRows} + ${rows}`, extraBytes: sql`${dataBudgetUsage.extraBytes} + ${bytes}`, exceededAt: null, updatedAt: sql`now()` },
      });
    a.extraRows += rows;
    a.extraBytes += bytes;
    a.exceeded = false;
    a.exceededStored = false;
  }

  /**
   * Adds what this instance counted to the shared totals and reads them back (one statement per
   * account in use). A flush under way may have taken an account's count already: asked for
   * meanwhile, another follows it (one, however many ask), so a caller's flush (an approval, shutdown)
   * always stores what was counted before the call.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      const next = () => ((this.nextFlush = null), this.flush());
      return (this.nextFlush ??= this.flushing.then(next, next));
    }
    this.flushing = this.flushNow().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const now = Date.now();
    for (const [key, a] of this.accounts) {
      a.roll(now);
      const carried = a.carried.splice(0);
      try {
        for (const c of carried) await this.add(a, c.windowStart, c.rows, c.bytes, false);
        const rows = a.localRows;
        const bytes = a.localBytes;
        if (!rows && !bytes && (!a.exceeded || a.exceededStored)) {
          // Nothing new here: no write. Other instances' use is still read while a session here relies on it.
          if (a.sessions > 0) await this.read(a, now);
          if (a.sessions <= 0 && now - a.idleSince > 60_000) this.accounts.delete(key);
          continue;
        }
        const total = await this.add(a, a.windowStart, rows, bytes, a.exceeded);
        if (a.exceeded) a.exceededStored = true;
        a.localRows -= rows;
        a.localBytes -= bytes;
        if (a.windowStart === windowStartOf(a.rule.windowSeconds, Date.now())) Object.assign(a, total);
      } catch (err) {
        this.log(`could not store data budget use (${a.rule.name}, ${a.identityName}): ${(err as Error).message}`);
        a.carried.unshift(...carried);
        continue;
      }
      if (a.sessions <= 0 && now - a.idleSince > 60_000 && !a.localRows && !a.localBytes) this.accounts.delete(key);
    }
  }

  private async add(a: Account, windowStart: number, rows: number, bytes: number, exceeded: boolean) {
    const [total] = await this.db
      .insert(dataBudgetUsage)
      .values({ budgetId: a.rule.id, identityName: a.identityName, windowStart: new Date(windowStart), rows, bytes, exceededAt: exceeded ? new Date() : null })
      .onConflictDoUpdate({
        target: [dataBudgetUsage.budgetId, dataBudgetUsage.identityName, dataBudgetUsage.windowStart],
        set: {
          rows: sql`${dataBudgetUsage.rows} + ${rows}`,
          bytes: sql`${dataBudgetUsage.bytes} + ${bytes}`,
          ...(exceeded ? { exceededAt: sql`coalesce(${dataBudgetUsage.exceededAt}, now())` } : {}),
          updatedAt: sql`now()`,
        },
      })
      .returning({ sharedRows: dataBudgetUsage.rows, sharedBytes: dataBudgetUsage.bytes, extraRows: dataBudgetUsage.extraRows, extraBytes: dataBudgetUsage.extraBytes });
    return total;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
