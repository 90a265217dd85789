import { randomBytes } from "node:crypto";
import { Cursor, framePacket, type Packet } from "./packet-codec";
import { authMoreDataPacket, authSwitchPacket, MysqlError } from "./handshake-messages";
import { Cap, Com } from "./protocol-constants";
import type { RsaKeys } from "./client-login";
import { cString, readFullAuthPassword } from "./full-auth";
import type { RelayHooks } from "./relay-hooks";

/** What a COM_CHANGE_USER asks for, once its password has been read. */
export type ChangeUserRequest = { user: string; password: string; database: string | null; seq: number };

type Exchange = {
  capabilities: number;
  tls: boolean;
  rsa: RsaKeys;
  /** Writes a payload to the client at `seq`. */
  send: (payload: Buffer, seq: number) => void;
  /** The client's next packet of this exchange. */
  next: () => Promise<Packet>;
};

/**
 * The authentication inside a COM_CHANGE_USER, as at login: whatever the client answered first, it is
 * switched to caching_sha2_password with a new scramble and asked for full authentication (the key
 * in clear over TLS, RSA-encrypted without), but for an answer in mysql_clear_password, which is the
 * key. Returns the request with `seq`, the id the answer goes at.
 */
export async function readChangeUser(p: Packet, x: Exchange): Promise<ChangeUserRequest> {
  const c = new Cursor(p.payload, 1);
  const user = c.nulString();
  const answer = x.capabilities & Cap.SecureConnection ? c.bytes(c.u8()) : Buffer.from(c.nulString(), "utf8");
  const database = c.left > 0 ? c.nulString() || null : null;
  // Then the character set and, with pluggable authentication, the plugin the answer is in.
  if (c.left >= 2) c.skip(2);
  const plugin = x.capabilities & Cap.PluginAuth && c.left > 0 ? c.nulString() : null;
  // A client that sends its password in the clear (told to by a flag; see client-login.ts) answered with it.
  if (plugin === "mysql_clear_password") return { user, database, password: cString(answer), seq: (p.lastSeq + 1) & 0xff };
  const scramble = Buffer.from(randomBytes(20).map((b) => b & 0x7f || 1));
  x.send(authSwitchPacket("caching_sha2_password", scramble), (p.lastSeq + 1) & 0xff);
  const switched = await x.next();
  x.send(authMoreDataPacket(Buffer.from([0x04])), (switched.lastSeq + 1) & 0xff);
  const { password, seq } = await readFullAuthPassword(await x.next(), { ...x, scramble });
  return { user, database, password, seq };
}

/**
 * The client's packets while an exchange inside the command phase (COM_CHANGE_USER's authentication)
 * reads them one at a time; closing it (the session ended) fails the read that waits.
 */
export class PacketMailbox {
  private readonly pending: Packet[] = [];
  private wake: (() => void) | null = null;
  private closed = false;

  push(p: Packet): void {
    this.pending.push(p);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async next(): Promise<Packet> {
    while (!this.pending.length && !this.closed) await new Promise<void>((r) => (this.wake = r));
    if (!this.pending.length) throw new Error("closed");
    return this.pending.shift()!;
  }
}

/** What runChangeUser needs of the relay. */
export type ChangeUserRelay = {
  capabilities: number;
  checks: RelayHooks["changeUser"];
  toClient: (bytes: Buffer) => void;
  resetStatements: () => void;
  /** Sends the target a command of the relay's own and waits for its answer (silent: the client is not sent it; shift: moves its sequence ids). */
  send: (payload: Buffer, opts: { silent?: boolean; shift?: number }) => Promise<void>;
  sendError: (err: MysqlError, seq: number | null) => void;
  malformed: () => void;
};

/**
 * COM_CHANGE_USER, as pools use it to hand a connection on: the client proves itself again (the
 * same identity, on the same connection: the session's record and audit stay true), and the target
 * session is reset (COM_RESET_CONNECTION, then the database asked for) instead of changing user.
 */
export async function runChangeUser(p: Packet, mailbox: PacketMailbox, r: ChangeUserRelay): Promise<void> {
  try {
    const send = (payload: Buffer, seq: number) => r.toClient(framePacket(payload, seq).bytes);
    const req = await readChangeUser(p, { capabilities: r.capabilities, tls: r.checks.tls, rsa: r.checks.rsa, send, next: () => mailbox.next() });
    const refusal = await r.checks.check(req.user, req.password);
    if (refusal) return r.sendError(refusal, req.seq);
    r.resetStatements();
    const reset = Buffer.from([Com.ResetConnection]);
    if (req.database) await r.send(reset, { silent: true });
    const last = req.database ? Buffer.concat([Buffer.from([Com.InitDb]), Buffer.from(req.database, "utf8")]) : reset;
    // The target answers at sequence id 1; the client expects the answer at req.seq.
    await r.send(last, { shift: req.seq - 1 });
  } catch (err) {
    if (err instanceof MysqlError) r.sendError(err, (err as MysqlError & { seq?: number }).seq ?? null);
    else r.malformed();
  }
}
