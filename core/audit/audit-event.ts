/** One audit row as the writer stores it (mirrors drizzle/schema/audit-events.ts). */
export type AuditEvent = {
  at: Date;
  action: string;
  outcome: "ok" | "error" | "denied";
  identityId?: string | null;
  identityName?: string | null;
  groups?: string[] | null;
  connectionName?: string | null;
  sessionId?: string | null;
  protocol?: string | null;
  clientAddr?: string | null;
  statement?: string | null;
  statementKind?: string | null;
  durationMs?: number | null;
  rows?: number | null;
  sqlstate?: string | null;
  message?: string | null;
  /** Structured extras (jsonb), e.g. what masking replaced in a statement's results: `{ masked: { email: 3 } }`. */
  details?: Record<string, unknown> | null;
};

/** What every statement of one session shares. */
export type SessionContext = {
  sessionId: string;
  identityId: string | null;
  identityName: string;
  groups: string[];
  connectionName: string;
  protocol: string;
  clientAddr: string | null;
};
