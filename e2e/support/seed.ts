import { randomBytes } from "node:crypto";
import { and, desc, eq, like, sql } from "drizzle-orm";
import { openDb, type Db, type DbHandle } from "../../drizzle/client";
import { auditEvents, sessions } from "../../drizzle/schema/index";
import { createSecretBox, parseSecretKey, type SecretBox } from "../../core/crypto/secret-box";
import { addPostgresConnection } from "../../core/connections/add-connection";
import { addSshConnection } from "../../core/connections/add-ssh-connection";
import { grantAccess } from "../../core/access/grant-access";
import { decideAccessRequest, requestAccess } from "../../core/access/access-requests";
import { issueKey, revokeKeys } from "../../core/identity/manage-keys";
import { applyPolicy } from "../../core/policy/manage-policies";
import type { Policy } from "../../core/policy/policy";
import { applyMaskingRules } from "../../core/masking/manage-masking";
import { decideReview } from "../../core/reviews/decide-review";
import { publish } from "../../core/bus/event-bus";
import type { SshServer } from "./ssh-server";
import { pendingReview } from "./pending-review";
import type { TestGateway } from "./gateway-harness";

/**
 * Seeding through the domain functions the CLI and the console call (no CLI process per step), on
 * a test gateway's own database. Open one per test file; close it in afterAll.
 */
export type Seed = {
  db: Db;
  box: SecretBox;
  close: () => Promise<void>;
};

export function openSeed(gw: TestGateway): Seed {
  const handle: DbHandle = openDb(gw.env.DATABASE_URL, { max: 3, applicationName: "gatehouse-test-seed" });
  return { db: handle.db, box: createSecretBox(parseSecretKey(gw.env.GATEHOUSE_SECRET_KEY)), close: handle.close };
}

/** A Postgres connection to `url` (the `app` role on a database of the run's private server). */
export async function seedPostgresConnection(s: Seed, name: string, url: string): Promise<void> {
  await addPostgresConnection(s.db, s.box, { name, url });
}

/** An SSH connection to a private sshd, logging in with the key it authorises. */
export async function seedSshConnection(s: Seed, name: string, sshd: SshServer): Promise<void> {
  await addSshConnection(s.db, s.box, { name, host: "127.0.0.1", port: sshd.port, user: sshd.user, privateKeyFile: sshd.clientKeyFile });
}

export const seedGrant = (s: Seed, group: string, connection: string) => grantAccess(s.db, group, connection);

/** A key of the right shape (ghk_ and 43 base64url characters) that was never issued. */
export const forgedKey = () => `ghk_${randomBytes(32).toString("base64url")}`;

export type SeededIdentity = { name: string; id: string; groups: string[]; key: string; keyId: string };

/** An identity in `groups` with one new Gatehouse key (as `keys issue`). */
export async function seedIdentity(s: Seed, name: string, groups: string[]): Promise<SeededIdentity> {
  const k = await issueKey(s.db, { identity: name, groups });
  return { name, id: k.identityId, groups, key: k.key, keyId: k.keyId };
}

export const seedPolicy = (s: Seed, connection: string, policy: Policy) => applyPolicy(s.db, connection, policy);
export const seedMasking = (s: Seed, connection: string, rules: unknown) => applyMaskingRules(s.db, connection, rules);

const APPROVER = { email: "dana@example.com", groups: ["dba"] };

/**
 * Approved time-bound access for `identity` to `connection` that ends `seconds` from now. The
 * approval grants whole minutes, so the end is then moved to the same column the approval set
 * (as e2e/postgres/access-requests.test.ts does) instead of waiting.
 */
export async function seedTimeBoundAccess(s: Seed, identity: string, connection: string, seconds: number): Promise<void> {
  const req = await requestAccess(s.db, { identityName: identity, connectionName: connection, durationSeconds: 3600, reason: "contract test", requestedBy: identity });
  await decideAccessRequest(s.db, { id: req.id, decision: "approve", decider: APPROVER });
  await s.db.execute(sql`update access_requests set access_expires_at = now() + make_interval(secs => ${seconds}) where id = ${req.id}`);
}

/** Waits for the review of the command containing `fragment` and decides it as an approver would in the console. */
export async function decidePendingReview(s: Seed, fragment: string, decision: { approve: true } | { reject: string }): Promise<void> {
  const review = await pendingReview(s.db, fragment);
  await decideReview(s.db, { reviewId: review.id, ...("approve" in decision ? { decision: "approve" as const } : { decision: "reject" as const, reason: decision.reject }), decider: APPROVER });
}

export const APPROVER_EMAIL = APPROVER.email;

/** Ends a live session the way the console's Kill and `sessions kill` do: a `sessions.kill` bus event. */
export const killSession = (s: Seed, sessionId: string, reason = "an administrator ended this session") => publish(s.db, "sessions.kill", { sessionId, reason });

/** `keys revoke <identity>`. */
export const revokeIdentityKeys = (s: Seed, identity: string) => revokeKeys(s.db, identity);

/** The id of the identity's live session of `protocol`, once the gateway has recorded it (up to 10 s). */
export async function activeSessionId(s: Seed, identity: string, protocol: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const [row] = await s.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.identityName, identity), eq(sessions.protocol, protocol), eq(sessions.status, "active")))
      .orderBy(desc(sessions.startedAt))
      .limit(1);
    if (row) return row.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no active ${protocol} session of ${identity} appeared`);
}

/** Audit events whose statement contains `fragment`, oldest first (the gateway writes them in batches: poll). */
export function auditEventsAbout(s: Seed, fragment: string) {
  return s.db
    .select()
    .from(auditEvents)
    .where(like(auditEvents.statement, `%${fragment}%`))
    .orderBy(auditEvents.id);
}

/** Audit events of one action (and connection), oldest first. */
export function auditEventsOf(s: Seed, action: string, connectionName: string) {
  return s.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.connectionName, connectionName)))
    .orderBy(auditEvents.id);
}
