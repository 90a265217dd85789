import type { Dial } from "../../connector/dial";
import { PacketChannel } from "./packet-channel";
import { Cursor } from "./packet-codec";
import { parseErr } from "./handshake-messages";
import { Cap, Com } from "./protocol-constants";
import { isRowPacket } from "./response-reader";
import { loginToTarget, type MysqlTarget, type TargetSession } from "./target-login";

/** A row of a text result set: each value as text, or null. */
export type TextRow = Array<string | null>;

const TIMEOUT_MS = 5000;
const IDLE_MS = 30_000;
/** What the gateway asks for as a client of its own: the 4.1 protocol, EOF packets as they come, utf8mb4 (45). */
const CLIENT = {
  capabilities: Cap.LongPassword | Cap.Protocol41 | Cap.Transactions | Cap.SecureConnection | Cap.PluginAuth | Cap.PluginAuthLenencData,
  charset: 45,
  database: null,
  attributes: null,
};

/** Signs in to a connection's target as its sessions do (its account, TLS mode, and dial: directly or through its connector). */
export const catalogLogin =
  (dial: Dial, target: MysqlTarget): (() => Promise<TargetSession>) =>
  () =>
    loginToTarget(dial, target, CLIENT, false);

/**
 * A connection of the gateway's own to a MySQL target, for reading its catalog while a client's
 * session is busy streaming (the client must not see our queries): one query at a time (each waits
 * for the one before), text results only, 5 s per packet. Opened on the first query, closed after
 * 30 s idle or after any failure, and opened again by the next query.
 */
export class CatalogConnection {
  private session: Promise<{ channel: PacketChannel; capabilities: number }> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | null = null;

  constructor(public login: () => Promise<TargetSession>) {}

  query(sql: string): Promise<TextRow[]> {
    const run = this.queue.then(() => this.run(sql));
    this.queue = run.catch(() => {});
    return run;
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const s = this.session;
    this.session = null;
    void s?.then(
      ({ channel }) => {
        channel.send(Buffer.from([Com.Quit]), 0);
        channel.socket.end();
        setTimeout(() => channel.socket.destroy(), 1000).unref();
      },
      () => {},
    );
  }

  private async run(sql: string): Promise<TextRow[]> {
    if (this.idle) clearTimeout(this.idle);
    try {
      const { channel, capabilities } = await (this.session ??= this.open());
      const rows = await textQuery(channel, capabilities, sql);
      this.idle = setTimeout(() => this.close(), IDLE_MS).unref();
      return rows;
    } catch (err) {
      this.close(); // a failed login, a broken or timed-out exchange: the next query starts afresh
      throw err;
    }
  }

  private async open(): Promise<{ channel: PacketChannel; capabilities: number }> {
    const t = await this.login();
    if (t.leftover.length) {
      t.socket.destroy();
      throw new Error("the target sent more than its login answer");
    }
    return { channel: new PacketChannel(t.socket, 1 << 24), capabilities: t.capabilities };
  }
}

/** COM_QUERY with one statement, its text result set read whole (an OK: no rows; an ERR: thrown). */
async function textQuery(channel: PacketChannel, capabilities: number, sql: string): Promise<TextRow[]> {
  channel.send(Buffer.concat([Buffer.from([Com.Query]), Buffer.from(sql, "utf8")]), 0);
  const first = (await channel.next(TIMEOUT_MS)).payload;
  if (first[0] === 0xff) throw new Error(parseErr(first).message);
  if (first[0] === 0x00) return [];
  const columns = new Cursor(first).lenenc() ?? 0;
  for (let i = 0; i < columns; i++) await channel.next(TIMEOUT_MS);
  if (!(capabilities & Cap.DeprecateEof)) await channel.next(TIMEOUT_MS);
  const rows: TextRow[] = [];
  for (;;) {
    const p = (await channel.next(TIMEOUT_MS)).payload;
    if (p[0] === 0xff) throw new Error(parseErr(p).message);
    if (!isRowPacket(p)) return rows;
    const c = new Cursor(p);
    rows.push(Array.from({ length: columns }, () => c.lenencBytes()?.toString("utf8") ?? null));
  }
}
