import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { identities, terminalTickets } from "../../drizzle/schema/index";

const TICKET_TTL_MS = 60_000;
/** An open browser terminal lasts at most this long (its credential dies with it). */
export const TERMINAL_MAX_MS = 8 * 3_600_000;
export const TERMINAL_CREDENTIAL_PREFIX = "ghterm_";
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Issues a one-time ticket for a person's browser terminal on a connection, as their own gateway
 * identity (the console calls this for the signed-in user's linked identity). The gateway checks
 * access again when the terminal opens.
 */
export async function issueTerminalTicket(db: Db, input: { identityId: string; groups: string[]; connectionName: string; consoleUser: string; cols?: number; rows?: number }) {
  const ticket = randomBytes(32).toString("base64url");
  await db.insert(terminalTickets).values({
    ticketHash: sha256(ticket),
    identityId: input.identityId,
    groups: input.groups,
    connectionName: input.connectionName,
    consoleUser: input.consoleUser,
    cols: clamp(input.cols ?? 120, 20, 500),
    rows: clamp(input.rows ?? 32, 5, 200),
    expiresAt: new Date(Date.now() + TICKET_TTL_MS),
  });
  return { ticket, expiresInSeconds: TICKET_TTL_MS / 1000 };
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(n)));

export type OpenedTerminal = { id: string; identityId: string; identityName: string; groups: string[]; connectionName: string; consoleUser: string; cols: number; rows: number; credential: string };

/** Takes a ticket once: null when unknown, used, or expired. Returns the credential the gateway logs in with. */
export async function openTerminalTicket(db: Db, ticket: string): Promise<OpenedTerminal | null> {
  const credential = TERMINAL_CREDENTIAL_PREFIX + randomBytes(32).toString("base64url");
  const [row] = await db
    .update(terminalTickets)
    .set({ openedAt: sql`now()`, credentialHash: sha256(credential), expiresAt: new Date(Date.now() + TERMINAL_MAX_MS) })
    .where(and(eq(terminalTickets.ticketHash, sha256(ticket)), isNull(terminalTickets.openedAt), gt(terminalTickets.expiresAt, sql`now()`)))
    .returning();
  if (!row) return null;
  const [who] = await db.select({ name: identities.name, disabledAt: identities.disabledAt }).from(identities).where(eq(identities.id, row.identityId));
  if (!who || who.disabledAt) return null;
  return {
    id: row.id,
    identityId: row.identityId,
    identityName: who.name,
    groups: row.groups,
    connectionName: row.connectionName,
    consoleUser: row.consoleUser,
    cols: row.cols,
    rows: row.rows,
    credential,
  };
}

export async function closeTerminalTicket(db: Db, id: string): Promise<void> {
  await db
    .update(terminalTickets)
    .set({ closedAt: sql`now()` })
    .where(eq(terminalTickets.id, id));
}

/** The identity behind an open terminal's credential, or null (unknown, closed, expired, identity disabled). */
export async function terminalCredentialIdentity(db: Db, credential: string) {
  const { rows } = await db.execute<{ identity_id: string; name: string; groups: string[]; expires_ms: number }>(sql`
    select t.identity_id, i.name, t.groups, (extract(epoch from t.expires_at) * 1000)::float8 as expires_ms
    from terminal_tickets t join identities i on i.id = t.identity_id
    where t.credential_hash = ${sha256(credential)} and t.closed_at is null and t.expires_at > now() and i.disabled_at is null`);
  return rows[0] ?? null;
}
