import { describe, expect, it } from "vitest";
import { sinkState, verifyTone, SINK_STALL_MS, VERIFY_DUE_MS } from "./audit-health-state";

const now = new Date("2026-12-02T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const cursor = (over: Partial<Parameters<typeof sinkState>[0]> = {}) => ({ name: "syslog", lastId: 10, deliveredAt: ago(1000), backlog: 0, lastError: null, updatedAt: ago(1000), ...over });

describe("audit health on the audit page", () => {
  it("a verification is green while recent and intact, amber when never run or due, red when it found a problem", () => {
    expect(verifyTone(null, now)).toBe("amber");
    expect(verifyTone({ at: ago(3600_000), ok: true, by: "root@h", message: null }, now)).toBe("green");
    expect(verifyTone({ at: ago(VERIFY_DUE_MS + 1), ok: true, by: "root@h", message: null }, now)).toBe("amber");
    expect(verifyTone({ at: ago(1000), ok: false, by: "root@h", message: "event 7 was edited" }, now)).toBe("red");
  });

  it("a sink is failing on an error, stalled when behind with no delivery for a while, catching up when far behind, else delivering", () => {
    expect(sinkState(cursor(), now)).toMatchObject({ tone: "green", status: "delivering" });
    expect(sinkState(cursor({ lastError: "connect ECONNREFUSED" }), now)).toMatchObject({ tone: "red", status: "failing" });
    expect(sinkState(cursor({ backlog: 5, deliveredAt: ago(SINK_STALL_MS + 1) }), now)).toMatchObject({ tone: "red", status: "stalled" });
    expect(sinkState(cursor({ backlog: 0, deliveredAt: ago(SINK_STALL_MS + 1) }), now)).toMatchObject({ tone: "green", status: "delivering" });
    expect(sinkState(cursor({ backlog: 5000 }), now)).toMatchObject({ tone: "amber", status: "catching up", behind: 5000 });
    expect(sinkState(cursor({ backlog: 3, deliveredAt: null, updatedAt: ago(SINK_STALL_MS + 1) }), now)).toMatchObject({ tone: "red", status: "stalled" });
  });
});
