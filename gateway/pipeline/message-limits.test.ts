import { afterEach, describe, expect, it, vi } from "vitest";
import { BufferBudget, MessageDeadline } from "./message-limits";

afterEach(() => vi.useRealTimers());

describe("BufferBudget", () => {
  it("lets connections hold bytes up to the limit together, refuses growth past it, and takes back what they release", () => {
    const budget = new BufferBudget(100);
    const a = budget.account();
    const b = budget.account();
    expect(a.hold(60)).toBe(true);
    expect(b.hold(50)).toBe(false); // 110 > 100: refused, nothing taken
    expect(b.holding).toBe(0);
    expect(budget.inUse).toBe(60);
    expect(b.hold(40)).toBe(true);
    expect(budget.inUse).toBe(100);
    expect(a.hold(61)).toBe(false);
    expect(a.hold(10)).toBe(true); // shrinking always fits
    expect(budget.inUse).toBe(50);
    a.close();
    b.close();
    expect(budget.inUse).toBe(0);
    // What an ended connection still reads is not held against the budget (a MySQL fuzz run leaked this way).
    expect(a.hold(30)).toBe(true);
    expect(budget.inUse).toBe(0);
  });
});

describe("MessageDeadline", () => {
  it("expires a message that stays partial past the bound, and not one that completes in time", () => {
    vi.useFakeTimers();
    const expire = vi.fn();
    const d = new MessageDeadline(1000, expire, () => true);
    d.update(true);
    vi.advanceTimersByTime(900);
    d.update(true); // more bytes of the same message do not restart the clock
    vi.advanceTimersByTime(200);
    expect(expire).toHaveBeenCalledTimes(1);
    const fine = vi.fn();
    const e = new MessageDeadline(1000, fine, () => true);
    e.update(true);
    vi.advanceTimersByTime(900);
    e.update(false);
    vi.advanceTimersByTime(5000);
    expect(fine).not.toHaveBeenCalled();
  });

  it("gives another period while the gateway is not reading the client, and does nothing when off", () => {
    vi.useFakeTimers();
    let reading = false;
    const expire = vi.fn();
    const d = new MessageDeadline(1000, expire, () => reading);
    d.update(true);
    vi.advanceTimersByTime(3500);
    expect(expire).not.toHaveBeenCalled();
    reading = true;
    vi.advanceTimersByTime(1000);
    expect(expire).toHaveBeenCalledTimes(1);
    const off = vi.fn();
    new MessageDeadline(0, off, () => true).update(true);
    vi.advanceTimersByTime(60_000);
    expect(off).not.toHaveBeenCalled();
  });
});
