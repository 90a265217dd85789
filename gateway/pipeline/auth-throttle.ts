import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";

export type ThrottleSettings = {
  /** Length of the counting window (ms); counts start again in each window. */
  windowMs: number;
  /** Failures in a window answered at once (and each audited). */
  freeFailures: number;
  /** Failures from one address in a window after which that address is refused until the window ends. */
  refuseAfter: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

export const DEFAULT_THROTTLE: ThrottleSettings = { windowMs: 300_000, freeFailures: 5, refuseAfter: 30, baseDelayMs: 250, maxDelayMs: 4_000 };

/** Who a failed attempt counts against: the source address, and the key it claimed (its stored prefix). */
export type Claim = { addr: string | null; keyPrefix: string | null };

export type FailureCount = {
  /** Failures in this window so far, the largest of the address's and the key's. */
  failures: number;
  /** How long to wait before answering this failure. */
  delayMs: number;
  /** This failure is past the free ones: it is not audited alone. */
  quiet: boolean;
  /** This failure is the first past the free ones in its window for the address (or key): write the one aggregated event. */
  aggregate: { scope: "addr" | "key"; subject: string } | null;
};

/**
 * Failed sign-ins throttled per source address and per claimed key, through a small table every
 * gateway instance shares (auth_failures): the first failures in a window are answered at once,
 * later ones after a delay that doubles up to a ceiling, and an address past `refuseAfter` is refused
 * until the window ends. A key is only ever delayed, never refused: refusing a key because of
 * failures that name its prefix would let anyone who knows a prefix lock its holder out. A client
 * that signs in correctly is never delayed.
 */
export class AuthThrottle {
  constructor(
    private readonly db: Db,
    private readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
  ) {}

  private windowStart(now = Date.now()): Date {
    return new Date(now - (now % this.settings.windowMs));
  }

  /** Seconds until an address refused now may try again; null when it is not refused. */
  async refusedFor(claim: Claim): Promise<number | null> {
    if (!claim.addr) return null;
    const start = this.windowStart();
    const { rows } = await this.db.execute<{ failures: number }>(sql`
      select failures from auth_failures where scope = 'addr' and subject = ${claim.addr} and window_start = ${start.toISOString()}`);
    if ((rows[0]?.failures ?? 0) < this.settings.refuseAfter) return null;
    return Math.ceil((start.getTime() + this.settings.windowMs - Date.now()) / 1000);
  }

  /** Counts a failure against the address and the key; says how long to wait and what to audit. */
  async failed(claim: Claim): Promise<FailureCount> {
    const start = this.windowStart().toISOString();
    const subjects = [claim.addr && (["addr", claim.addr] as const), claim.keyPrefix && (["key", claim.keyPrefix] as const)].filter((x): x is readonly ["addr" | "key", string] => !!x);
    if (subjects.length === 0) return { failures: 0, delayMs: 0, quiet: false, aggregate: null };
    const free = this.settings.freeFailures;
    // One statement for both counts. Exactly one failure per subject and window sees the count reach
    // free + 1 (the row is locked while it is raised), whatever the instance: that one writes the aggregated event.
    const values = sql.join(
      subjects.map(([scope, subject]) => sql`(${scope}, ${subject}, ${start}::timestamptz, 1)`),
      sql`, `,
    );
    const { rows } = await this.db.execute<{ scope: "addr" | "key"; subject: string; failures: number }>(sql`
      insert into auth_failures as f (scope, subject, window_start, failures) values ${values}
      on conflict (scope, subject, window_start) do update set failures = f.failures + 1, updated_at = now()
      returning scope, subject, failures`);
    if (Math.random() < 0.01) void this.db.execute(sql`delete from auth_failures where window_start < now() - interval '1 day'`).catch(() => {});
    const failures = Math.max(...rows.map((r) => Number(r.failures)));
    const over = failures - free;
    const delayMs = over <= 0 ? 0 : Math.min(this.settings.baseDelayMs * 2 ** (over - 1), this.settings.maxDelayMs);
    const first = rows.find((r) => Number(r.failures) === free + 1);
    return { failures, delayMs, quiet: over > 0, aggregate: first ? { scope: first.scope, subject: first.subject } : null };
  }
}
