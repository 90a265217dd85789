import type { Db } from "../../drizzle/client";
import { addConnection } from "../../core/connections/add-connection";
import { FlagUsageError, type ConnectionTypeModule } from "../../core/connections/connection-type";
import { connectionCliFlags, connectionTypes, describeConnection, findConnectionType, joinTypeNames, knownConnectionTypes, type CliFlagValues } from "../../core/connections/registry";
import { listConnections } from "../../core/audit/read-records";
import type { SecretBox } from "../../core/crypto/secret-box";
import { UsageError } from "./usage-error";

// `connections add` and `connections list`: every type's flags, help and wording come from the
// registry (core/connections/registry.ts), so a new type needs nothing here.

/** Where the help's descriptions start. */
const COLUMN = 55;

function addUsage(t: ConnectionTypeModule): string {
  const [first, ...more] = t.cli.usage.flags;
  const command = `  connections add <name> --type ${t.type} ${first}`;
  if (!more.length && command.length < COLUMN - 1) return command.padEnd(COLUMN) + t.cli.usage.about;
  return [command, ...more.map((f) => `        ${f}`), " ".repeat(COLUMN) + t.cli.usage.about].join("\n");
}

export const CONNECTIONS_USAGE = [...connectionTypes.map(addUsage), "  connections list [--json]                            list connections (never their secrets)"].join("\n");

/** The parseArgs options of every type's `connections add` flags. */
export const CONNECTION_FLAGS = connectionCliFlags();

export async function addConnectionCommand(db: Db, box: () => SecretBox, name: string | undefined, flags: CliFlagValues & { type?: unknown }, out: (line: string) => void) {
  if (!name) throw new UsageError("connections add needs a name");
  const type = typeof flags.type === "string" ? findConnectionType(flags.type) : undefined;
  if (!type) throw new UsageError(`--type ${typeof flags.type === "string" ? flags.type : "(missing)"} is not supported yet: ${joinTypeNames(knownConnectionTypes())}`);
  const c = await addConnection(db, box(), { name, type: type.type, flags }).catch((err: unknown) => {
    throw err instanceof FlagUsageError ? new UsageError(err.message) : err;
  });
  out(`added connection ${c.name} (${c.type}, ${type.cli.added(c.settings)})`);
}

export async function listConnectionsCommand(db: Db, json: boolean | undefined, out: (line: string) => void) {
  for (const c of await listConnections(db)) {
    // The list never needs the secret: `hasSecret` only words the console's summary.
    out(json ? JSON.stringify(c) : `${c.name}\t${c.type}\t${describeConnection({ ...c, hasSecret: true }).listed}`);
  }
}
