import type { Db } from "../drizzle/client";
import type { GatewayConfig } from "./config";
import type { SecretBox } from "./crypto/secret-box";
import type { AuditWriter } from "./audit/audit-writer";
import type { StatementAnalyzer } from "./sql/statement-analyzer";
import type { SessionStore } from "./sessions/session-store";
import type { LiveSessions } from "./live-sessions";
import type { createOidcVerifier } from "./identity/oidc";
import type { PolicyStore } from "./policy/policy-store";
import type { MaskingStore } from "./masking/masking-store";
import type { TargetCatalogs } from "./protocols/postgres/column-catalog";
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
  masking: MaskingStore;
  /** The Postgres targets' catalogs, for resolving result columns to their sources (masking). */
  pgCatalogs: TargetCatalogs;
  reviews: ReviewCoordinator;
  verifyOidc?: ReturnType<typeof createOidcVerifier>;
  log: (msg: string) => void;
};
