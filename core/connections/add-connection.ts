import { eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";
import type { SecretBox } from "../crypto/secret-box";
import { CONNECTION_NAME, CONNECTION_NAME_RULE, PG_SSL_MODES, type ConnectionSecret, type ConnectionSettings, type ConnectionType } from "./connection-settings";

export type PostgresConnectionInput = { name: string; url: string; sslmode?: string };

/** The name is taken by another connection; the console turns this into a field error. */
export class ConnectionNameTaken extends Error {
  constructor(readonly connectionName: string) {
    super(`a connection named "${connectionName}" already exists`);
  }
}

/** Splits a postgres:// URL into stored settings and the secret part (the password), which is sealed. */
export function parsePostgresUrl(url: string, sslmode?: string) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("the URL is not valid: expected postgres://user:password@host:port/database");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new Error("the URL must start with postgres://");
  const mode = sslmode ?? u.searchParams.get("sslmode") ?? "prefer";
  if (!(PG_SSL_MODES as readonly string[]).includes(mode)) throw new Error(`sslmode must be one of ${PG_SSL_MODES.join(", ")}`);
  const host = u.searchParams.get("host") ?? (decodeURIComponent(u.hostname) || "127.0.0.1");
  return {
    settings: { host, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)) || "postgres", user: decodeURIComponent(u.username) || "postgres", sslmode: mode },
    secret: (u.password ? { password: decodeURIComponent(u.password) } : {}) as ConnectionSecret,
  };
}

export type ConnectionRecordInput = {
  /** Absent: a new connection. */
  id?: string;
  name: string;
  type: ConnectionType;
  settings: ConnectionSettings;
  /** An object is sealed and replaces the stored secret (an empty one clears it); undefined keeps what is stored. */
  secret?: ConnectionSecret;
  /**
   * On an update, settings the row holds at the moment of writing that `settings` leaves out are
   * kept (`settings` wins where it has them): the SSH host key the gateway may pin while a form is open.
   */
  keepStoredSettings?: readonly string[];
};

/**
 * The one writer of connection rows, shared by the CLI and the console: checks the name, seals the
 * secret with the box, and reports a taken name as ConnectionNameTaken. Returns the row without
 * its secret (null when `id` names no connection).
 */
export async function saveConnectionRecord(db: Db, box: SecretBox, input: ConnectionRecordInput) {
  if (!CONNECTION_NAME.test(input.name)) throw new Error(`a connection name is ${CONNECTION_NAME_RULE}, and is what clients give as the database name`);
  const secretEnc = input.secret === undefined ? undefined : Object.keys(input.secret).length ? box.seal(JSON.stringify(input.secret)) : null;
  const columns = { id: connections.id, name: connections.name, type: connections.type, settings: connections.settings, createdAt: connections.createdAt, updatedAt: connections.updatedAt, hasSecret: sql<boolean>`${connections.secretEnc} is not null` };
  if (!input.id) {
    const [row] = await db.insert(connections).values({ name: input.name, type: input.type, settings: input.settings, secretEnc: secretEnc ?? null }).onConflictDoNothing().returning(columns);
    if (!row) throw new ConnectionNameTaken(input.name);
    return row;
  }
  try {
    const [row] = await db
      .update(connections)
      .set({ name: input.name, settings: settingsKeeping(input.settings, input.keepStoredSettings), ...(secretEnc !== undefined ? { secretEnc } : {}), updatedAt: sql`now()` })
      .where(eq(connections.id, input.id))
      .returning(columns);
    return row ?? null;
  } catch (err) {
    // A rename onto another connection's name trips the unique index.
    if ((err as { cause?: { code?: string } }).cause?.code === "23505" || (err as { code?: string }).code === "23505") throw new ConnectionNameTaken(input.name);
    throw err;
  }
}

/** The new settings over the named keys of the row's current settings, read in the same UPDATE (so nothing written meanwhile is lost). */
function settingsKeeping(settings: ConnectionSettings, keep: readonly string[] | undefined) {
  if (!keep?.length) return settings;
  const keys = sql.join(keep.map((k) => sql`${k}`), sql`, `);
  return sql`coalesce((select jsonb_object_agg(e.key, e.value) from jsonb_each(${connections.settings}) e where e.key in (${keys})), '{}'::jsonb) || ${JSON.stringify(settings)}::jsonb`;
}

export async function addPostgresConnection(db: Db, box: SecretBox, input: PostgresConnectionInput) {
  const { settings, secret } = parsePostgresUrl(input.url, input.sslmode);
  const row = await saveConnectionRecord(db, box, { name: input.name, type: "postgres", settings, secret: Object.keys(secret).length ? secret : undefined });
  if (!row) throw new Error("the connection was not saved");
  return { id: row.id, name: input.name, type: "postgres" as const, settings };
}
