import type { z } from "zod";
import type { ConnectionSecret, ConnectionSettings, ConnectionType } from "./connection-settings";
import type { FieldSpec, FieldValues } from "./form-fields";

/**
 * What one connection type is, for everything that handles connections: the console (form, list,
 * Test connection), the CLI (`connections add/list`) and the gateway (which listener serves it,
 * its typed settings). Each type is one module in types/ that satisfies this, plus one entry in
 * registry.ts. Type modules are pure at the top (the browser's form imports them); Node-only work
 * (a driver, ssh2, a file) is loaded inside the duty that needs it.
 */
export type ConnectionTypeModule<Settings extends object = Record<string, unknown>, Secret extends object = Partial<ConnectionSecret>, Form extends ConnectionFormBase = ConnectionFormBase> = {
  /** Stored in `connections.type`. */
  type: ConnectionType;
  /** For people: "PostgreSQL", "SSH". */
  label: string;
  /** The gateway listener that serves its clients. */
  listener: GatewayListener;
  /** What the console's browser terminal runs on it; null: no terminal. */
  terminal: TerminalProgram | null;

  /** The non-secret settings as stored (jsonb); every write is checked against it. */
  settingsSchema: z.ZodType<Settings>;
  /** The sealed part (core/crypto/secret-box.ts); never shown, never logged. */
  secretSchema: z.ZodType<Secret>;
  /** A stored connection's settings, typed; throws InvalidConnectionSettings for another type or settings it cannot use. */
  parseSettings(connection: StoredConnection): Settings;

  /** The console's form: fields, schema, and what a checked form stores. */
  form: ConnectionFormSpec<Form>;
  /** "Test connection": connects as the gateway would, with the form's settings and the secret; never throws. */
  test(target: { settings: Settings; secret: Secret; form: Form }): Promise<TestResult>;
  /** `npx gatehouse connections add <name> --type <type> ...` */
  cli: ConnectionCliSpec<Settings, Secret>;

  /** Where the target is, for messages: "host:port". */
  address(settings: Settings): string;
  /** The console list's lines under the target column. */
  summary(settings: Settings, hasSecret: boolean): SummaryLine[];
  /** Types whose target identity is pinned (SSH host keys): the settings that hold the pin, and how to read it. */
  hostKeyPin: HostKeyPinSpec<Settings> | null;
};

/** A stored connection as readers have it: never its secret. */
export type StoredConnection = { name: string; type: string; settings: Record<string, unknown> };

export type GatewayListener = "postgres" | "mysql" | "ssh" | "http" | "kubernetes" | "mcp";
export type TerminalProgram = "psql" | "ssh-shell";

/** The fields every console form has, whatever the type. */
export type ConnectionFormBase = { type: string; name: string; clearSecrets?: string[] };

export type ConnectionFormSpec<Form> = {
  /** A z.object with `type: z.literal(<type>)`: the browser checks with it for quick messages, the server decides with it. */
  schema: z.ZodType<Form>;
  /** What clients give the connection's name as, and an example name. */
  nameUse: string;
  namePlaceholder: string;
  fields: readonly FieldSpec[];
  defaults: FieldValues;
  /** Form values an edit starts from that the stored settings do not hold as they are. */
  editValues?(settings: ConnectionSettings, storedSecrets: readonly string[]): FieldValues;
  /**
   * What a save (or a test) of a checked form writes: settings, typed secrets, secrets to remove,
   * and stored settings an update must keep. Throws ConnectionFieldError for a value it refuses.
   */
  plan(form: Form, stored: StoredState, by: { email: string; now: Date }): Promise<FormPlan>;
};

/** What is stored of the connection a form edits (nothing for a new one). */
export type StoredState = { settings: ConnectionSettings | null; secretKeys: readonly string[] };

export type FormPlan = {
  settings: ConnectionSettings;
  typedSecrets: Record<string, string>;
  clearSecrets: string[];
  /** Settings the row holds at the moment of writing that an update keeps (see saveConnectionRecord). */
  keepStoredSettings?: readonly string[];
};

export type ConnectionCliSpec<Settings, Secret> = {
  /** node:util parseArgs options; a flag two types share must have one kind. */
  flags: Readonly<Record<string, { type: "string" | "boolean" }>>;
  /** For the help text: the flags after `--type <type>` (one entry a line), and what the command does. */
  usage: { flags: readonly string[]; about: string };
  /** What follows `connections add` in the console's hint, e.g. `pg-prod --type postgres --url ...`. */
  example: string;
  /** The flags as settings and secret. Throws FlagUsageError for a missing flag (the help follows), Error for a bad value. */
  parse(flags: CliFlagValues): Promise<{ settings: Settings; secret: Secret }>;
  /** After "added connection <name> (<type>, ": the target. */
  added(settings: Settings): string;
  /** `connections list`'s column after the type. */
  listed(settings: Settings): string;
};

export type CliFlagValues = Readonly<Record<string, string | boolean | undefined>>;

/** One line under a connection in the console's list: the target (monospace), a note (muted) or a warning. */
export type SummaryLine = { text: string; tone: "target" | "note" | "warning"; title?: string };

export type HostKeyPin = { host: string; port: number; hostKey?: string; pinnedAt?: string; pinnedBy?: string };
/** The settings that hold a pin (the first one the fingerprint; forgetting removes them all), and the pin as the edit page shows it. */
export type HostKeyPinSpec<Settings> = { settingsKeys: readonly [string, ...string[]]; read(settings: Settings): HostKeyPin };

/** What the target showed of its host key, next to the one pinned (on the connection, or typed in the form). */
export type HostKeyCheck = { fingerprint: string; pinned: string | null; matches: boolean | null };

export type TestResult = { ok: true; serverVersion: string; ms: number; hostKey?: HostKeyCheck } | { ok: false; error: string; ms: number; hostKey?: HostKeyCheck };

/** A stored type this Gatehouse has no module for (a newer release wrote it, or a planned type). */
export class UnknownConnectionType extends Error {
  constructor(
    readonly type: string,
    known: readonly string[],
    connectionName?: string,
  ) {
    const what = connectionName ? `connection ${connectionName} has the type "${type}", which this Gatehouse does not know` : `this Gatehouse does not know the connection type "${type}"`;
    super(`${what} (it knows ${known.join(", ")})`);
  }
}

/** Settings a type cannot use: stored for another type, or not what its schema says. */
export class InvalidConnectionSettings extends Error {}

/** A form value a type refuses while planning a save or a test: field -> message, for the form. */
export class ConnectionFieldError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string>,
  ) {
    super(message);
  }
}

/** A flag `connections add` needs and did not get: the CLI prints its help after the message. */
export class FlagUsageError extends Error {}

/** parseSettings for a type module: its type, then its schema, with the first problem named. */
export function parseSettingsWith<Settings>(type: string, schema: z.ZodType<Settings>, connection: StoredConnection): Settings {
  if (connection.type !== type) throw new InvalidConnectionSettings(`connection ${connection.name} is a ${connection.type} connection, not ${type}`);
  const parsed = schema.safeParse(connection.settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidConnectionSettings(`the stored settings of connection ${connection.name} cannot be used: ${issue.path.join(".") || "settings"}: ${issue.message}`);
}

/** A flag's value when it was given as a string. */
export const stringFlag = (flags: CliFlagValues, name: string): string | undefined => (typeof flags[name] === "string" ? (flags[name] as string) : undefined);
