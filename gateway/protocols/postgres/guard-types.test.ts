import { describe, expect, it } from "vitest";
import { thenJudge, type GuardHold, type GuardRefusal } from "./guard-types";
import { PgError } from "./pg-error";

const refusal = (why: string): GuardRefusal => ({ refusal: { kind: "X", error: new PgError("ERROR", "42501", why) }, replacement: Buffer.alloc(0) });
const holdThat = (verdict: GuardRefusal | null, log: string[], name: string): GuardHold => ({
  hold: {
    start: async () => (log.push(`${name} start`), verdict),
    cancel: (why) => void log.push(`${name} cancel ${why}`),
    withdraw: () => void log.push(`${name} withdraw`),
  },
});

describe("[GUARDRAILS] a guard's hold does not skip the guards after it", () => {
  it("judges the message again once the first hold lets it pass: a refusal, a pass, or the next hold", async () => {
    const log: string[] = [];
    expect(await thenJudge(holdThat(null, log, "views"), () => refusal("policy")).hold.start(() => {})).toEqual(refusal("policy"));
    expect(await thenJudge(holdThat(null, log, "views"), () => null).hold.start(() => {})).toBeNull();
    expect(await thenJudge(holdThat(null, log, "views"), () => holdThat(refusal("rejected"), log, "review")).hold.start(() => {})).toEqual(refusal("rejected"));
    expect(log).toEqual(["views start", "views start", "views start", "review start"]);
  });

  it("keeps the first hold's refusal (the next guard is not asked), and passes a cancel or a withdrawal on", async () => {
    let asked = false;
    const log: string[] = [];
    const first = thenJudge(holdThat(refusal("masked"), log, "views"), () => ((asked = true), null));
    expect(await first.hold.start(() => {})).toEqual(refusal("masked"));
    expect(asked).toBe(false);
    const both = thenJudge(holdThat(null, log, "views"), () => holdThat(null, log, "review"));
    both.hold.withdraw();
    await both.hold.start(() => {});
    expect(log.slice(1)).toEqual(["views withdraw", "views start", "review start", "review withdraw"]);
    // A client gone while the first hold waited: nothing more is asked.
    const gone = thenJudge(holdThat(null, log, "views"), () => ((asked = true), null));
    gone.hold.cancel("the client went away");
    expect(await gone.hold.start(() => {})).toBeNull();
    expect(asked).toBe(false);
  });
});
