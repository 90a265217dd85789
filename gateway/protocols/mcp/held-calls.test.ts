import { describe, expect, it } from "vitest";
import { HeldCalls } from "./held-calls";
import type { ToolOutcome } from "./tool-call";

const outcome = (text: string): ToolOutcome => ({ result: { content: [{ type: "text", text }] }, outcome: "ok", message: text });
function held(calls: HeldCalls, reviewId: string, identityName: string) {
  let settle: (o: ToolOutcome) => void = () => {};
  let abandoned = false;
  calls.add({ reviewId, identityName, tool: "query", connection: "db", link: `https://console/reviews/${reviewId}`, outcome: new Promise((r) => (settle = r)), abandon: () => (abandoned = true) });
  return { settle: (t: string) => settle(outcome(t)), abandoned: () => abandoned };
}

describe("[MCP] held calls", () => {
  it("only the identity that made a call gets it; waiting times out as still pending, then returns the outcome", async () => {
    const calls = new HeldCalls();
    const a = held(calls, "r1", "agent-a");
    expect(calls.get("r1", "agent-b")).toBeUndefined();
    const mine = calls.get("r1", "agent-a")!;
    expect(await calls.wait(mine, 20)).toBeUndefined();
    a.settle("DROP TABLE");
    expect((await calls.wait(mine, 1000))?.message).toBe("DROP TABLE");
    // Settled results stay for a later review_wait.
    expect((await calls.wait(calls.get("r1", "agent-a")!, 0))?.message).toBe("DROP TABLE");
  });

  it("an aborted wait returns at once", async () => {
    const calls = new HeldCalls();
    held(calls, "r2", "agent-a");
    const abort = new AbortController();
    const started = Date.now();
    const waiting = calls.wait(calls.get("r2", "agent-a")!, 10_000, abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("caps the calls one identity leaves pending; settled ones free their place; close abandons the pending ones", async () => {
    const calls = new HeldCalls(undefined, 2);
    const first = held(calls, "p1", "agent-a");
    const second = held(calls, "p2", "agent-a");
    expect(calls.hasRoom("agent-a")).toBe(false);
    expect(calls.hasRoom("agent-b")).toBe(true);
    first.settle("done");
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.hasRoom("agent-a")).toBe(true);
    calls.close();
    expect(second.abandoned()).toBe(true);
    expect(first.abandoned()).toBe(false);
  });
});
