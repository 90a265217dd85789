import { eq, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";
import type { SecretBox } from "../crypto/secret-box";
import { CONNECTION_NAME, CONNECTION_NAME_RULE, type ConnectionSecret, type ConnectionSettings, type ConnectionType } from "./connection-settings";
import { InvalidConnectionSettings, type CliFlagValues } from "./connection-type";
import { connectionTypeOf } from "./registry";
import type { PostgresSettings } from "./types/postgres";

/** The name is taken by another connection; the console turns this into a field error. */
export class ConnectionNameTaken extends Error {
  constructor(readonly connectionName: string) {
    super(`a connection named "${connectionName}" already exists`);
  }
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
  /** The connector the target is reached through (connections.connector_id), null: dialled by the gateway; undefined keeps what is stored. */
  connectorId?: string | null;
};

/**
 * The one writer of connection rows, shared by the CLI and the console: checks the name, seals the
 * secret with the box, and reports a taken name as ConnectionNameTaken. Returns the row without
 * its secret (null when `id` names no connection).
 */
export async function saveConnectionRecord(db: Db, box: SecretBox, input: ConnectionRecordInput) {
  if (!CONNECTION_NAME.test(input.name)) throw new Error(`a connection name is ${CONNECTION_NAME_RULE}, and is what clients give as the database name`);
  checkAgainstType(input);
  const secretEnc = input.secret === undefined ? undefined : Object.keys(input.secret).length ? box.seal(JSON.stringify(input.secret)) : null;
  const columns = {
    id: connections.id,
    name: connections.name,
    type: connections.type,
    settings: connections.settings,
    createdAt: connections.createdAt,
    updatedAt: connections.updatedAt,
    hasSecret: sql<boolean>`${connections.secretEnc} is not null`,
    connectorId: connections.connectorId,
  };
  if (!input.id) {
    const [row] = await db
      .insert(connections)
      .values({ name: input.name, type: input.type, settings: input.settings, secretEnc: secretEnc ?? null, connectorId: input.connectorId ?? null })
      .onConflictDoNothing()
      .returning(columns);
    if (!row) throw new ConnectionNameTaken(input.name);
    return row;
  }
  try {
    const [row] = await db
      .update(connections)
      .set({
        name: input.name,
        settings: settingsKeeping(input.settings, input.keepStoredSettings),
        ...(secretEnc !== undefined ? { secretEnc } : {}),
        ...(input.connectorId !== undefined ? { connectorId: input.connectorId } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(connections.id, input.id))
      .returning(columns);
    return row ?? null;
  } catch (err) {
    // A rename onto another connection's name trips the unique index.
    if ((err as { cause?: { code?: string } }).cause?.code === "23505" || (err as { code?: string }).code === "23505") throw new ConnectionNameTaken(input.name);
    throw err;
  }
}

/** What is written must be what the type's schemas say: the gateway reads it back with them. */
function checkAgainstType(input: ConnectionRecordInput) {
  const type = connectionTypeOf(input.type, input.name);
  const settings = type.settingsSchema.safeParse(input.settings);
  if (!settings.success)
    throw new InvalidConnectionSettings(`the settings of ${input.name} do not fit its type (${type.type}): ${settings.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  if (input.secret && !type.secretSchema.safeParse(input.secret).success) throw new InvalidConnectionSettings(`the secret of ${input.name} does not fit its type (${type.type})`);
}

/** The new settings over the named keys of the row's current settings, read in the same UPDATE (so nothing written meanwhile is lost). */
function settingsKeeping(settings: ConnectionSettings, keep: readonly string[] | undefined) {
  if (!keep?.length) return settings;
  const keys = sql.join(
    keep.map((k) => sql`${k}`),
    sql`, `,
  );
  return sql`coalesce((select jsonb_object_agg(e.key, e.value) from jsonb_each(${connections.settings}) e where e.key in (${keys})), '{}'::jsonb) || ${JSON.stringify(settings)}::jsonb`;
}

/**
 * `connections add`: the type's CLI flags as settings and secret (core/connections/types/), written
 * by the one writer. Throws UnknownConnectionType, FlagUsageError, or the type's own message.
 */
export async function addConnection(db: Db, box: SecretBox, input: { name: string; type: string; flags: CliFlagValues }) {
  const type = connectionTypeOf(input.type);
  const { settings, secret } = await type.cli.parse(input.flags);
  const sealed = Object.fromEntries(Object.entries(secret).filter((e): e is [string, string] => typeof e[1] === "string"));
  const row = await saveConnectionRecord(db, box, { name: input.name, type: type.type, settings: settings as ConnectionSettings, secret: Object.keys(sealed).length ? sealed : undefined });
  if (!row) throw new Error("the connection was not saved");
  return { id: row.id, name: input.name, type: type.type, settings };
}

/** A Postgres connection from its URL, as `connections add <name> --type postgres --url URL [--sslmode M]` adds it. */
export async function addPostgresConnection(db: Db, box: SecretBox, input: { name: string; url: string; sslmode?: string }) {
  const c = await addConnection(db, box, { name: input.name, type: "postgres", flags: { url: input.url, sslmode: input.sslmode } });
  return { ...c, type: "postgres" as const, settings: c.settings as PostgresSettings };
}
