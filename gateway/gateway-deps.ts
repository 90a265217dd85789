import type { Db } from "../drizzle/client";
import type { GatewayConfig } from "./config";
import type { Log } from "./log-sink";
import type { SecretBox } from "../core/crypto/secret-box";
import type { AuditWriter } from "../core/audit/audit-writer";
import type { StatementAnalyzer } from "../core/sql/statement-analyzer";
import type { SessionStore } from "../core/sessions/session-store";
import type { LiveSessions } from "./pipeline/live-sessions";
import type { createOidcVerifier } from "../core/identity/oidc";
import type { PolicyStore } from "../core/policy/policy-store";
import type { MaskingStore } from "../core/masking/masking-store";
import type { ReviewCoordinator } from "./pipeline/review-coordinator";
import type { BufferBudget } from "./pipeline/message-limits";
import type { AuthThrottle } from "./pipeline/auth-throttle";
import type { BudgetMeter } from "./pipeline/budgets";
import type { ConnectorHub } from "./connector/connector-hub";

/** Everything the pipeline and the protocol adapters need, passed in (no module-level singletons). */
export type GatewayDeps = {
  config: GatewayConfig;
  db: Db;
  box: SecretBox;
  audit: AuditWriter;
  analyzer: StatementAnalyzer;
  sessions: SessionStore;
  live: LiveSessions;
  policies: PolicyStore;
  masking: MaskingStore;
  reviews: ReviewCoordinator;
  verifyOidc?: ReturnType<typeof createOidcVerifier>;
  /** Keys unused this many days are refused (GATEHOUSE_KEY_UNUSED_EXPIRE); null: never. */
  keyUnusedExpireDays: number | null;
  /** The gateway-wide budget for bytes of partially received messages (GATEHOUSE_BUFFER_BUDGET_BYTES). */
  buffers: BufferBudget;
  /** Failed sign-ins per address and claimed key, shared by every instance through the database. */
  throttle: AuthThrottle;
  /** Exfiltration budgets: each identity's result rows and bytes per window, shared by every instance. */
  budgets: BudgetMeter;
  /** Connectors' links; `dialerFor(connection)` is how every protocol reaches its target (directly or through one). */
  connectors: ConnectorHub;
  /** The gateway's log (gateway/log-sink.ts): structured, escaped lines; whatever a client sent may be in a message. */
  log: Log;
};
