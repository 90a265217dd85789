/** An audit row as the sinks read it (snake_case, as the database gives it). */
export type AuditRow = {
  id: string;
  at: Date;
  action: string;
  outcome: "ok" | "error" | "denied";
  identity_id: string | null;
  identity_name: string | null;
  groups: string[] | null;
  connection_name: string | null;
  session_id: string | null;
  protocol: string | null;
  client_addr: string | null;
  statement: string | null;
  statement_kind: string | null;
  duration_ms: number | null;
  rows: string | null;
  sqlstate: string | null;
  message: string | null;
  details: Record<string, unknown> | null;
  instance: string | null;
  seq: string | null;
  hash: string | null;
};

export const SIEM_EVENT_VERSION = 1;

/**
 * The one JSON shape every sink sends (README, "SIEM streaming"), with OCSF-like names where they
 * fit: `time`, `activity_name`, `status`, `actor.user`, `src_endpoint.ip`, `session.uid`. Fields
 * are added in later versions, never renamed within one.
 */
export type SiemEvent = {
  schema: "gatehouse.audit";
  version: typeof SIEM_EVENT_VERSION;
  id: number;
  time: string;
  activity_name: string;
  status: "ok" | "error" | "denied";
  severity: "informational" | "low" | "medium";
  message: string | null;
  actor: { user: { name: string | null; uid: string | null; groups: string[] } };
  src_endpoint: { ip: string | null };
  session: { uid: string | null; protocol: string | null };
  connection: { name: string | null };
  command: { text: string | null; kind: string | null; rows: number | null; duration_ms: number | null } | null;
  error: { code: string | null; message: string | null } | null;
  details: Record<string, unknown> | null;
  /** Where the event sits in its stream's hash chain: a gateway instance, gatehouse:console or gatehouse:cli (null: stored before those were chained). */
  chain: { instance: string; seq: number; hash: string | null } | null;
};

export function toSiemEvent(r: AuditRow): SiemEvent {
  const hasCommand = r.statement !== null || r.statement_kind !== null;
  return {
    schema: "gatehouse.audit",
    version: SIEM_EVENT_VERSION,
    id: Number(r.id),
    time: r.at.toISOString(),
    activity_name: r.action,
    status: r.outcome,
    severity: r.outcome === "denied" ? "medium" : r.outcome === "error" ? "low" : "informational",
    message: r.message,
    actor: { user: { name: r.identity_name, uid: r.identity_id, groups: r.groups ?? [] } },
    src_endpoint: { ip: r.client_addr },
    session: { uid: r.session_id, protocol: r.protocol },
    connection: { name: r.connection_name },
    command: hasCommand ? { text: r.statement, kind: r.statement_kind, rows: r.rows === null ? null : Number(r.rows), duration_ms: r.duration_ms } : null,
    error: r.sqlstate || r.outcome === "error" ? { code: r.sqlstate, message: r.message } : null,
    details: r.details,
    chain: r.instance ? { instance: r.instance, seq: Number(r.seq), hash: r.hash } : null,
  };
}
