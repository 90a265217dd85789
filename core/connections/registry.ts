import type { ConnectionType } from "./connection-settings";
import { UnknownConnectionType, type CliFlagValues, type ConnectionTypeModule, type GatewayListener, type StoredConnection, type SummaryLine, type TerminalProgram } from "./connection-type";
import { mysql } from "./types/mysql";
import { postgres } from "./types/postgres";
import { ssh } from "./types/ssh";
import { http } from "./types/http";
import { kubernetes } from "./types/kubernetes";
import { mcp } from "./types/mcp";

/**
 * Every connection type this Gatehouse serves. The console, the CLI and the gateway ask this list
 * and never branch on a type's name: a new type is its module in types/ and one entry here.
 * Pure, like the modules: the browser's form imports it.
 */
export const CONNECTION_TYPE_MODULES = [postgres, mysql, ssh, http, kubernetes, mcp] as const;

/** Shown (disabled) in the console's type picker so admins see what is coming; refused everywhere until their module is listed above. */
export const PLANNED_CONNECTION_TYPES: readonly { type: ConnectionType; label: string }[] = [];

export type KnownConnectionTypeModule = (typeof CONNECTION_TYPE_MODULES)[number];
export type KnownConnectionType = KnownConnectionTypeModule["type"];

/** The modules as generic code handles them. */
export const connectionTypes: readonly ConnectionTypeModule[] = CONNECTION_TYPE_MODULES;

export const knownConnectionTypes = (): string[] => connectionTypes.map((t) => t.type);

export function findConnectionType(type: string): ConnectionTypeModule | undefined {
  return connectionTypes.find((t) => t.type === type);
}

/**
 * The module of a type; throws UnknownConnectionType (naming the connection when given) for a type
 * this Gatehouse has no module for. With a known type's name it is that module, fully typed.
 */
export function connectionTypeOf<T extends KnownConnectionType>(type: T): Extract<KnownConnectionTypeModule, { type: T }>;
export function connectionTypeOf(type: string, connectionName?: string): ConnectionTypeModule;
export function connectionTypeOf(type: string, connectionName?: string): ConnectionTypeModule {
  const found = findConnectionType(type);
  if (!found) throw new UnknownConnectionType(type, knownConnectionTypes(), connectionName);
  return found;
}

/** A stored connection's settings as its type reads them; throws UnknownConnectionType or InvalidConnectionSettings. */
export function parseConnectionSettings(connection: StoredConnection): Record<string, unknown> {
  return connectionTypeOf(connection.type, connection.name).parseSettings(connection);
}

/** The types a gateway listener serves, and what the browser terminal runs on a type (null: none, or unknown). */
export const typesServedBy = (listener: GatewayListener): string[] => connectionTypes.filter((t) => t.listener === listener).map((t) => t.type);
/** Whether a gateway listener serves connections of this type (what `admit` asks). */
export const servedBy =
  (listener: GatewayListener) =>
  (type: string): boolean =>
    findConnectionType(type)?.listener === listener;
export const terminalOf = (type: string): TerminalProgram | null => findConnectionType(type)?.terminal ?? null;

/** `--type a, b or c`. */
export const joinTypeNames = (names: readonly string[]): string => (names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`);

/** Every type's CLI flags, merged for node:util parseArgs (registry.test.ts checks that shared flags agree). */
export function connectionCliFlags(): Record<string, { type: "string" | "boolean" }> {
  return Object.assign({}, ...connectionTypes.map((t) => t.cli.flags));
}

/** What the console's list and `connections list` show of a connection; never throws, whatever is stored. */
export type ConnectionDescription = { typeLabel: string; known: boolean; terminal: TerminalProgram | null; summary: SummaryLine[]; listed: string };

export function describeConnection(connection: StoredConnection & { hasSecret: boolean }): ConnectionDescription {
  const type = findConnectionType(connection.type);
  if (!type) {
    const problem = new UnknownConnectionType(connection.type, knownConnectionTypes()).message;
    return { typeLabel: connection.type, known: false, terminal: null, summary: [{ text: "unknown type: this Gatehouse cannot serve it", tone: "warning", title: problem }], listed: problem };
  }
  try {
    const settings = type.parseSettings(connection);
    return { typeLabel: type.label, known: true, terminal: type.terminal, summary: type.summary(settings, connection.hasSecret), listed: type.cli.listed(settings) };
  } catch (err) {
    const problem = (err as Error).message;
    return { typeLabel: type.label, known: true, terminal: type.terminal, summary: [{ text: problem, tone: "warning" }], listed: problem };
  }
}

export type { CliFlagValues };
