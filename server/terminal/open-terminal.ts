import "server-only";
import type { Db } from "../../drizzle/client";
import { issueTerminalTicket } from "../../core/terminal/terminal-tickets";
import type { ConsoleUserContext } from "../auth/current-user";
import { recordConsoleEvent } from "../audit/record-console-event";
import { AppError } from "../errors/app-error";
import { isUsable, terminalConnections } from "./terminal-connections";
import { connectionTypes, joinTypeNames, terminalOf } from "../../core/connections/registry";
import type { TerminalProgram } from "../../core/connections/connection-type";
import { terminalEndpoint } from "./terminal-endpoint";
import { disabledMessage, loadTerminalPerson, UNLINKED_MESSAGE } from "./terminal-person";

export type OpenTerminalInput = { connection: string; cols?: number; rows?: number };
export type OpenedTerminalTicket = ({ port: number } | { url: string }) & { ticket: string; identityName: string; connectionType: string; program: TerminalProgram };

/**
 * A one-time ticket for a browser terminal on `connection` as the person's own gateway identity.
 * The gateway checks access again when the ticket is used; checking here first gives the person a
 * reason they can act on instead of a closed socket. Every attempt is audited.
 */
export async function openTerminal(db: Db, user: ConsoleUserContext, input: OpenTerminalInput): Promise<OpenedTerminalTicket> {
  const refuse = async (code: "FORBIDDEN" | "NOT_FOUND" | "INVALID_INPUT", message: string): Promise<never> => {
    await recordConsoleEvent(db, { action: "console.terminal.open", outcome: "denied", actor: user.email, actorIdentityId: user.identityId, connectionName: input.connection, message });
    throw new AppError(code, message);
  };
  const endpoint = terminalEndpoint();
  const person = await loadTerminalPerson(db, user);
  if (person.kind === "unlinked") return refuse("FORBIDDEN", UNLINKED_MESSAGE);
  if (person.kind === "disabled") return refuse("FORBIDDEN", disabledMessage(person.identityName));
  const [connection] = await terminalConnections(db, person, input.connection);
  if (!connection) return refuse("NOT_FOUND", `There is no connection named "${input.connection}".`);
  if (!isUsable(connection)) {
    const groups = person.groups.length ? `none of your groups (${person.groups.join(", ")}) is granted it` : "you are in no group that is granted it";
    return refuse("FORBIDDEN", `You may not use ${connection.name}: ${groups}. Ask for time-bound access on the Access requests page, or ask an admin for a grant.`);
  }
  const program = terminalOf(connection.type);
  if (!program) {
    const opens = connectionTypes.filter((t) => t.terminal).map((t) => `${t.label} (${t.terminal})`);
    return refuse("INVALID_INPUT", `${connection.name} is a ${connection.type} connection; the browser terminal opens ${joinTypeNames(opens)} connections only.`);
  }
  const { ticket } = await issueTerminalTicket(db, {
    identityId: person.identityId,
    groups: person.groups,
    connectionName: connection.name,
    consoleUser: user.email,
    cols: input.cols,
    rows: input.rows,
  });
  await recordConsoleEvent(db, {
    action: "console.terminal.open",
    outcome: "ok",
    actor: user.email,
    actorIdentityId: person.identityId,
    connectionName: connection.name,
    message: `browser terminal (${program === "psql" ? "psql" : "ssh shell"}) on ${connection.name} as ${person.identityName}`,
  });
  return { ...endpoint, ticket, identityName: person.identityName, connectionType: connection.type, program };
}
