import { describe, expect, it } from "vitest";
import { GatewayMetrics } from "./gateway-metrics";

const event = (action: string, extra: Record<string, unknown> = {}) => ({ at: new Date(), action, outcome: "ok" as const, protocol: "mysql", ...extra });

describe("GatewayMetrics", () => {
  it("counts holds, refusals and statements from audit events, and reads gauges at scrape time", async () => {
    const m = new GatewayMetrics();
    m.attach({ activeSessions: () => new Map([["ssh", 2]]), auditBacklog: () => ({ journal: 3, store: 7, droppedFromMemory: 0 }) });
    m.observeAudit(event("review.requested"));
    m.observeAudit(event("review.approved"));
    m.observeAudit(event("review.expired", { outcome: "denied" }));
    m.observeAudit(event("session.denied", { outcome: "denied", identityId: null }));
    m.observeAudit(event("session.denied", { outcome: "denied", identityId: "id-1" }));
    m.observeAudit(event("auth.throttled", { outcome: "denied" }));
    m.observeAudit(event("statement", { durationMs: 12 }));
    m.observeAudit(event("sftp.write", { protocol: "ssh" }));
    m.observeAudit(event("session.start"));
    const text = await m.render();
    expect(text).toContain('gatehouse_reviews_total{protocol="mysql",decision="requested"} 1');
    expect(text).toContain('gatehouse_reviews_total{protocol="mysql",decision="approved"} 1');
    expect(text).toContain('gatehouse_reviews_total{protocol="mysql",decision="expired"} 1');
    expect(text).toContain('gatehouse_refusals_total{protocol="mysql",reason="unauthenticated"} 1');
    expect(text).toContain('gatehouse_refusals_total{protocol="mysql",reason="forbidden"} 1');
    expect(text).toContain('gatehouse_refusals_total{protocol="mysql",reason="throttled"} 1');
    expect(text).toContain('gatehouse_statements_total{protocol="mysql",action="statement",outcome="ok"} 1');
    expect(text).toContain('gatehouse_statements_total{protocol="ssh",action="sftp",outcome="ok"} 1');
    expect(text).toContain('gatehouse_statement_duration_seconds_bucket{le="0.025",protocol="mysql"} 1');
    expect(text).toContain('gatehouse_statement_duration_seconds_bucket{le="0.01",protocol="mysql"} 0');
    expect(text).toContain('gatehouse_sessions_active{protocol="ssh"} 2');
    expect(text).toContain('gatehouse_audit_backlog_events{stage="journal"} 3');
    expect(text).toContain('gatehouse_audit_backlog_events{stage="store"} 7');
  });

  it("keeps counting statements across reads, and hands held durations over while no one reads", async () => {
    const m = new GatewayMetrics();
    for (let i = 0; i < 2; i++) m.observeAudit(event("statement", { durationMs: 2 }));
    expect(await m.render()).toContain('gatehouse_statements_total{protocol="mysql",action="statement",outcome="ok"} 2');
    for (let i = 0; i < 3; i++) m.observeAudit(event("statement", { durationMs: 2, outcome: i ? "ok" : "error" }));
    const text = await m.render();
    expect(text).toContain('gatehouse_statements_total{protocol="mysql",action="statement",outcome="ok"} 4');
    expect(text).toContain('gatehouse_statements_total{protocol="mysql",action="statement",outcome="error"} 1');
    expect(text).toContain('gatehouse_statement_duration_seconds_count{protocol="mysql"} 5');
    // Past the held limit the durations go to the histogram without a read (memory stays bounded).
    for (let i = 0; i < 5000; i++) m.observeAudit(event("statement", { durationMs: 1 }));
    expect((m as unknown as { heldDurations: Map<string, number[]> }).heldDurations.get("mysql")!.length).toBeLessThan(4096);
    expect(await m.render()).toContain('gatehouse_statement_duration_seconds_count{protocol="mysql"} 5005');
  });
});
