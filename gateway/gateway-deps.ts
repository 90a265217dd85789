import type { Db } from "../drizzle/client";
import type { GatewayConfig } from "./config";
import type { SecretBox } from "./crypto/secret-box";
import type { AuditWriter } from "./audit/audit-writer";
import type { StatementAnalyzer } from "./sql/statement-analyzer";
import type { SessionStore } from "./sessions/session-store";
import type { LiveSessions } from "./live-sessions";
import type { createOidcVerifier } from "./identity/oidc";
import type { PolicyStore } from "./policy/policy-store";
import type { ReviewCoordinator } from "./reviews/review-coordinator";

/** Everything a protocol listener needs, passed in (no module-level singletons). */
export type GatewayDeps = {
  config: GatewayConfig;
  db: Db;
  box: SecretBox;
  audit: AuditWriter;
  analyzer: StatementAnalyzer;
  sessions: SessionStore;
  live: LiveSessions;
  policies: PolicyStore;
  reviews: ReviewCoordinator;
  verifyOidc?: ReturnType<typeof createOidcVerifier>;
  log: (msg: string) => void;
};
