import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AuditEvent } from "../../core/audit/audit-event";

/** What the metrics read at scrape time (nothing on the data path). */
export type MetricSources = {
  /** Sessions this instance relays now, per protocol. */
  activeSessions: () => Map<string, number>;
  /** Audit events not yet journaled (`journal`) and journaled but not yet stored (`store`). */
  auditBacklog: () => { journal: number; store: number; droppedFromMemory: number };
};

/** The audit actions that are one statement, command, request or tool call of a session. */
const STATEMENT_ACTIONS = new Set(["statement", "command", "request", "mcp.tool.call"]);
// Durations held for the histogram before they are handed to it anyway (a few pages of memory while no one reads the metrics).
const DURATIONS_HELD = 4096;
const REVIEW_ACTIONS = new Map([
  ["review.requested", "requested"],
  ["review.approved", "approved"],
  ["review.rejected", "rejected"],
  ["review.expired", "expired"],
  ["review.cancelled", "cancelled"],
  ["review.failed", "failed"],
]);

/**
 * The gateway's Prometheus metrics (`GET /metrics` on the HTTP port). Counters move where events
 * are already produced: sessions where the pipeline registers and unregisters a live session
 * (gateway/pipeline/live-sessions.ts), everything else where the audit writer numbers each event
 * (observeAudit), so no protocol adapter counts anything itself. Gauges are read at scrape time.
 * One registry per gateway instance (tests run several gateways in one process).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly opened: Counter<"protocol">;
  private readonly ended: Counter<"protocol">;
  private readonly statements: Counter<"protocol" | "action" | "outcome">;
  private readonly reviews: Counter<"protocol" | "decision">;
  private readonly refusals: Counter<"protocol" | "reason">;
  private readonly duration: Histogram<"protocol">;
  private readonly shipments: Counter;
  private readonly storedEvents: Counter;
  /** Statements counted and durations measured since prom-client was last handed them (observeAudit). */
  private readonly heldCounts = new Map<string, { labels: { protocol: string; action: string; outcome: string }; n: number }>();
  private readonly heldDurations = new Map<string, number[]>();
  private sources: MetricSources | undefined;
  private renderer: (() => Promise<string>) | undefined;

  constructor() {
    const registers = [this.registry];
    const sources = () => this.sources;
    new Gauge({
      name: "gatehouse_sessions_active",
      help: "Sessions this gateway instance is relaying now, per protocol.",
      labelNames: ["protocol"],
      registers,
      collect() {
        this.reset();
        for (const [protocol, n] of sources()?.activeSessions() ?? []) this.set({ protocol }, n);
      },
    });
    this.opened = new Counter({ name: "gatehouse_sessions_opened_total", help: "Sessions opened (admitted and registered), per protocol.", labelNames: ["protocol"], registers });
    this.ended = new Counter({ name: "gatehouse_sessions_ended_total", help: "Sessions ended, whatever ended them, per protocol.", labelNames: ["protocol"], registers });
    this.statements = new Counter({
      name: "gatehouse_statements_total",
      help: "Statements, commands, HTTP requests and MCP tool calls audited, per protocol, audit action and outcome (ok, error, denied).",
      labelNames: ["protocol", "action", "outcome"],
      registers,
      collect: () => this.handOverCounts(),
    });
    this.reviews = new Counter({
      name: "gatehouse_reviews_total",
      help: "Holds for review: requested, then approved, rejected, expired, cancelled or failed, per protocol.",
      labelNames: ["protocol", "decision"],
      registers,
    });
    this.refusals = new Counter({
      name: "gatehouse_refusals_total",
      help: "Audited admission refusals per protocol and reason (unauthenticated, forbidden, failed, throttled).",
      labelNames: ["protocol", "reason"],
      registers,
    });
    this.duration = new Histogram({
      name: "gatehouse_statement_duration_seconds",
      help: "Duration of audited statements, commands and requests as the adapters measure it (the audit's duration_ms), per protocol.",
      labelNames: ["protocol"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
      collect: () => this.handOverDurations(),
    });
    new Gauge({
      name: "gatehouse_audit_backlog_events",
      help: "Audit events waiting: stage journal (queued, not yet numbered and journaled), stage store (journaled, not yet stored in the database).",
      labelNames: ["stage"],
      registers,
      collect() {
        const b = sources()?.auditBacklog();
        this.set({ stage: "journal" }, b?.journal ?? 0);
        this.set({ stage: "store" }, b?.store ?? 0);
      },
    });
    this.shipments = new Counter({
      name: "gatehouse_audit_shipments_total",
      help: "Batches of audit events stored in the database (one COPY or insert each); stored events divided by this is the events per shipment.",
      registers,
    });
    this.storedEvents = new Counter({ name: "gatehouse_audit_stored_events_total", help: "Audit events stored in the database by this instance's writer.", registers });
    new Gauge({
      name: "gatehouse_audit_dropped_from_memory_events",
      help: "Audit events dropped from memory while the database was unavailable (they stay in the journal and ship at the next start).",
      registers,
      collect() {
        this.set(sources()?.auditBacklog().droppedFromMemory ?? 0);
      },
    });
  }

  /** Connects the scrape-time readings (the live sessions and the audit writer exist after the metrics). */
  attach(sources: MetricSources): void {
    this.sources = sources;
  }

  /** A batch of audit events stored (the writer calls it once per shipment). */
  auditShipped(events: number): void {
    this.shipments.inc();
    this.storedEvents.inc(events);
  }

  sessionOpened(protocol: string): void {
    this.opened.inc({ protocol });
  }

  sessionEnded(protocol: string): void {
    this.ended.inc({ protocol });
  }

  /**
   * Every audit event, as the writer numbers it: a few map lookups. A statement's count and duration
   * are kept here and handed to prom-client when it is read (or every DURATIONS_HELD durations): its
   * inc() and observe() hash their labels at every call, about a microsecond per statement on the
   * data path, and a read (a scrape, the workers' sum) sees every one handed over first.
   */
  observeAudit(e: AuditEvent): void {
    const protocol = e.protocol ?? "none";
    const action = e.action;
    if (STATEMENT_ACTIONS.has(action) || action.startsWith("sftp.")) {
      const key = protocol + "\0" + action + "\0" + e.outcome;
      const counted = this.heldCounts.get(key);
      if (counted) counted.n++;
      else this.heldCounts.set(key, { labels: { protocol, action: action.startsWith("sftp.") ? "sftp" : action, outcome: e.outcome }, n: 1 });
      if (e.durationMs != null && e.durationMs >= 0) {
        let held = this.heldDurations.get(protocol);
        if (!held) this.heldDurations.set(protocol, (held = []));
        if (held.push(e.durationMs / 1000) >= DURATIONS_HELD) this.handOverDurations();
      }
      return;
    }
    const decision = REVIEW_ACTIONS.get(action);
    if (decision) return void this.reviews.inc({ protocol, decision });
    const reason = refusalReason(e);
    if (reason) this.refusals.inc({ protocol, reason });
  }

  private handOverCounts(): void {
    for (const c of this.heldCounts.values()) {
      if (c.n > 0) this.statements.inc(c.labels, c.n);
      c.n = 0;
    }
  }

  private handOverDurations(): void {
    for (const [protocol, held] of this.heldDurations) {
      for (const seconds of held) this.duration.observe({ protocol }, seconds);
      held.length = 0;
    }
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.renderer ? this.renderer() : this.registry.metrics();
  }

  /** `/metrics` answers with this instead of this registry alone (a worker's: every worker's, summed by the primary). */
  renderWith(render: () => Promise<string>): void {
    this.renderer = render;
  }
}

/**
 * Why an admission was refused, from its audit event (gateway/pipeline/admit.ts auditRefusal): no
 * identity behind it is a credential refused, an identity is a connection not granted (or a
 * public key signature that did not verify), a failure is a connection that could not be served.
 */
function refusalReason(e: AuditEvent): string | undefined {
  switch (e.action) {
    case "session.denied":
      return e.identityId ? "forbidden" : "unauthenticated";
    case "session.failed":
      return "failed";
    case "auth.throttled":
      return "throttled";
    default:
      return undefined;
  }
}
