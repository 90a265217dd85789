import "server-only";
import type { Db } from "../../drizzle/client";
import { auditEvents } from "../../drizzle/schema/index";
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

/** Every change made in the console (and every sign-in) is itself an audit event: who, what, before and after. */
export async function recordConsoleEvent(db: Db, e: ConsoleEvent): Promise<void> {
  const details: Record<string, unknown> = {};
  if (e.target !== undefined) details.target = e.target;
  if (e.before !== undefined) details.before = redactSecrets(e.before);
  if (e.after !== undefined) details.after = redactSecrets(e.after);
  await db.insert(auditEvents).values({
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
