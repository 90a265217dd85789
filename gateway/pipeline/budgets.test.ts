import { describe, expect, it } from "vitest";
import type { Db } from "../../drizzle/client";
import { dataBudgets } from "../../drizzle/schema/index";
import { BudgetMeter } from "./budgets";

// A stand-in for the database (the query builder calls the meter makes, nothing else): this test is
// about the order of the meter's own flushes, which a real database cannot hold still long enough to see.
function fakeDb() {
  const rule = { id: "b1", name: "cap", subjectKind: "everyone", subject: null, connection: "*", maxRows: 1000, maxBytes: null, windowSeconds: 3600, onExceed: "block", warnPercent: 80 };
  const added: number[] = [];
  let total = 0;
  let hold: Promise<void> = Promise.resolve();
  const db = {
    select: () => ({
      from: (table: unknown) => {
        const rows = Promise.resolve(table === dataBudgets ? [rule] : []) as Promise<unknown[]> & { where: () => Promise<unknown[]> };
        rows.where = () => Promise.resolve([]);
        return rows;
      },
    }),
    insert: () => ({
      values: (v: { rows: number }) => ({
        onConflictDoUpdate: () => ({
          returning: async () => {
            added.push(v.rows);
            await hold;
            total += v.rows;
            return [{ sharedRows: total, sharedBytes: 0, extraRows: 0, extraBytes: 0 }];
          },
        }),
      }),
    }),
  };
  return { db: db as unknown as Db, added, holdInserts: () => new Promise<() => void>((ready) => (hold = new Promise<void>((release) => ready(release)))) };
}

describe("BudgetMeter", () => {
  it("a flush asked for while another is under way stores what was counted since, not only what that one took", async () => {
    const { db, added, holdInserts } = fakeDb();
    const meter = new BudgetMeter(db, () => {}, 3_600_000);
    await meter.start();
    const session = (await meter.open({ name: "agent", groups: [] }, "crm"))!;
    expect(session.take(5, 0)).toBe("ok");
    const release = await holdInserts();
    const first = meter.flush(); // the timer's, say: it takes the 5 rows and waits for the database
    await new Promise((r) => setImmediate(r));
    expect(added).toEqual([5]);
    expect(session.take(3, 0)).toBe("ok");
    const second = meter.flush(); // a caller's (a test, an approval, shutdown): must include the 3 rows
    release();
    await Promise.all([first, second]);
    expect(added).toEqual([5, 3]);
    await meter.close();
  });
});
