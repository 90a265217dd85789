import type pg from "pg";
import type { Db } from "../../drizzle/client";
import { appendChainedEvent, CONSOLE_STREAM } from "../../core/audit/chained-append";
import { redactSecrets } from "./redact-secrets";

export type ConsoleEvent = {
  /** `console.<thing>.<verb>`, e.g. console.connection.update. */
  action: string;
  outcome: "ok" | "error" | "denied";
  /** E-mail of the person acting. */
  actor: string;
  actorIdentityId?: string | null;
  connectionName?: string;
  message?: string;
  /** What changed; `redactSecrets` is applied, so callers may pass whole rows. */
  before?: unknown;
  after?: unknown;
  target?: string;
};

/**
 * Appends one console event to the console's chained stream (`gatehouse:console`, see
 * core/audit/chained-append.ts), its checkpoint signed with `key`. recordConsoleEvent is this with the
 * console's own key; the SCIM endpoint's handler (server/scim/) takes it as a dependency.
 */
export async function appendConsoleEvent(db: Db, key: Buffer, e: ConsoleEvent): Promise<void> {
  const details: Record<string, unknown> = {};
  if (e.target !== undefined) details.target = e.target;
  if (e.before !== undefined) details.before = redactSecrets(e.before);
  if (e.after !== undefined) details.after = redactSecrets(e.after);
  // The chain is extended in one transaction on a connection of its own: the pool under the drizzle client.
  const pool = (db as Db & { $client: pg.Pool }).$client;
  await appendChainedEvent(pool, key, CONSOLE_STREAM, {
    action: e.action,
    outcome: e.outcome,
    identityName: e.actor,
    identityId: e.actorIdentityId ?? null,
    connectionName: e.connectionName ?? null,
    protocol: "console",
    message: e.message ?? null,
    details: Object.keys(details).length ? details : null,
  });
}
