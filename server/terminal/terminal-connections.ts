import "server-only";
import type { Db } from "../../drizzle/client";
import { connectionAccess, isUsable } from "../../core/access/connection-access";
import { terminalOf } from "../../core/connections/registry";

/** Whether the browser terminal can open a connection of this type (its registry entry names a program). */
export const hasTerminal = (type: string): boolean => terminalOf(type) !== null;

export type TerminalConnection = { name: string; type: string; viaGroups: string[]; temporaryUntil: number | null };
export { isUsable };

/**
 * Connections with what gives the person access to each, by the gateway's own access rule
 * (core/access/connection-access.ts). With `name`, that one connection whether usable or not (so a
 * refusal can say why); without, the usable ones.
 */
export async function terminalConnections(db: Db, person: { identityId: string; groups: string[] }, name?: string): Promise<TerminalConnection[]> {
  const list = (await connectionAccess(db, person, name)).map(({ name, type, viaGroups, temporaryUntil }) => ({ name, type, viaGroups, temporaryUntil }));
  return name === undefined ? list.filter(isUsable) : list;
}
