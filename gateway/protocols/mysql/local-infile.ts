import { errPacket, parseErr } from "./handshake-messages";

/**
 * The target's errors for a LOAD DATA LOCAL INFILE its client has not the capability for: MariaDB's
 * 4166 (ER_LOAD_INFILE_CAPABILITY_DISABLED), MySQL 8's 3948 (ER_CLIENT_LOCAL_FILES_DISABLED) and the
 * older 1148 (ER_NOT_ALLOWED_COMMAND).
 */
const CAPABILITY_REFUSALS = new Set([4166, 3948, 1148]);

/** Why the gateway withholds LOCAL INFILE on this connection, and how an admin changes that. */
export const localInfileRefusal = (connection: string): string =>
  `Gatehouse does not pass LOAD DATA LOCAL INFILE on for connection "${connection}": it would send a file from the client's machine into the target. An admin can allow it for this connection (the console's "Allow LOAD DATA LOCAL INFILE", or --allow-local-infile)`;

/**
 * The target's refusal of a LOCAL INFILE the gateway withheld, told with the gateway's reason (`why`)
 * and the target's own words after it, same code and SQLSTATE; null for any other ERR. The target's
 * words alone ("the MariaDB server or client has disabled the local infile capability") send the
 * client looking at its own settings, which are not the cause.
 */
export function withheldInfileError(payload: Buffer, why: string): Buffer | null {
  if (payload.length < 3 || !CAPABILITY_REFUSALS.has(payload.readUInt16LE(1))) return null;
  const e = parseErr(payload);
  return errPacket({ code: e.code, state: e.state }, `${why} (the target said: ${e.message})`);
}
