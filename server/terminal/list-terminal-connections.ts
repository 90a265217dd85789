import "server-only";
import type { Db } from "../../drizzle/client";
import type { ConsoleUserContext } from "../auth/current-user";
import { hasTerminal, terminalConnections, type TerminalConnection } from "./terminal-connections";
import { loadTerminalPerson } from "./terminal-person";

export type TerminalOverview =
  | { person: { kind: "unlinked" } | { kind: "disabled"; identityName: string }; connections: [] }
  | { person: { kind: "linked"; identityName: string; groups: string[] }; connections: TerminalConnection[] };

/** What the Terminal page lists: who the terminal runs as, and the Postgres and SSH connections they may use. */
export async function listTerminalConnections(db: Db, user: ConsoleUserContext): Promise<TerminalOverview> {
  const person = await loadTerminalPerson(db, user);
  if (person.kind !== "linked") return { person, connections: [] };
  const usable = await terminalConnections(db, person);
  return { person: { kind: "linked", identityName: person.identityName, groups: person.groups }, connections: usable.filter((c) => hasTerminal(c.type)) };
}
