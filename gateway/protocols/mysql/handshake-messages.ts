import { Cap, type ErrSpec } from "./protocol-constants";
import { Cursor, lenencBytes, lenencInt, nulString } from "./packet-codec";

/** What a server says first: the version clients show and check, its capabilities, the scramble. */
export type Greeting = {
  serverVersion: string;
  connectionId: number;
  scramble: Buffer;
  capabilities: number;
  charset: number;
  status: number;
  authPlugin: string;
  /** MariaDB's extended capabilities (MariadbCap; 0 from MySQL). */
  mariadbCapabilities: number;
};

/** HandshakeV10 (protocol version 10), as MySQL and MariaDB send it. */
export function greetingPacket(g: Greeting): Buffer {
  const head = Buffer.alloc(1 + 4);
  head[0] = 10;
  const fixed = Buffer.alloc(4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10);
  let p = 0;
  p = fixed.writeUInt32LE(g.connectionId >>> 0, p);
  p += g.scramble.copy(fixed, p, 0, 8);
  fixed[p++] = 0;
  // Extended capabilities are read only when CLIENT_MYSQL is clear.
  p = fixed.writeUInt16LE((g.mariadbCapabilities ? g.capabilities & ~Cap.LongPassword : g.capabilities) & 0xffff, p);
  fixed[p++] = g.charset;
  p = fixed.writeUInt16LE(g.status, p);
  p = fixed.writeUInt16LE((g.capabilities >>> 16) & 0xffff, p);
  fixed[p++] = g.scramble.length + 1;
  fixed.writeUInt32LE(g.mariadbCapabilities >>> 0, p + 6);
  return Buffer.concat([Buffer.from([10]), nulString(g.serverVersion), fixed, g.scramble.subarray(8), Buffer.from([0]), nulString(g.authPlugin)]);
}

/** A target's HandshakeV10. Throws for anything else (an ERR instead of a greeting: too many connections, a blocked host). */
export function parseGreeting(payload: Buffer): Greeting {
  const c = new Cursor(payload);
  const protocol = c.u8();
  if (protocol === 0xff) throw new Error(`the target refused the connection: ${parseErr(payload).message}`);
  if (protocol !== 10) throw new Error(`the target speaks protocol version ${protocol}, not 10`);
  const serverVersion = c.nulString();
  const connectionId = c.u32();
  const part1 = c.bytes(8);
  c.skip(1);
  let capabilities = c.u16();
  const charset = c.u8();
  const status = c.u16();
  capabilities = (capabilities | (c.u16() << 16)) >>> 0;
  const authLen = c.u8();
  c.skip(6);
  const extended = c.u32();
  const mariadbCapabilities = capabilities & Cap.LongPassword ? 0 : extended;
  const part2 = c.bytes(Math.max(13, authLen - 8));
  const scramble = Buffer.concat([part1, part2.subarray(0, part2.length - 1)]);
  const authPlugin = capabilities & Cap.PluginAuth ? c.nulString() : "mysql_native_password";
  return { serverVersion, connectionId, scramble, capabilities, charset, status, authPlugin, mariadbCapabilities };
}

/** A client's HandshakeResponse41 (or the short SSLRequest that precedes it over TLS). */
export type HandshakeResponse = {
  sslRequest: boolean;
  capabilities: number;
  maxPacket: number;
  charset: number;
  /** MariaDB's extended capabilities the client asks for (MariadbCap). */
  mariadbCapabilities: number;
  user: string;
  authResponse: Buffer;
  database: string | null;
  authPlugin: string | null;
  attributes: Buffer | null;
};

export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  const c = new Cursor(payload);
  const capabilities = c.u32();
  if (!(capabilities & Cap.Protocol41)) throw new RangeError("the client does not speak protocol 4.1");
  const maxPacket = c.u32();
  const charset = c.u8();
  c.skip(19);
  const extended = c.u32();
  const mariadbCapabilities = capabilities & Cap.LongPassword ? 0 : extended;
  const base = { capabilities, maxPacket, charset, mariadbCapabilities, user: "", authResponse: Buffer.alloc(0), database: null, authPlugin: null, attributes: null };
  if (c.left === 0) {
    if (!(capabilities & Cap.Ssl)) throw new RangeError("a handshake response without a user name");
    return { ...base, sslRequest: true };
  }
  const user = c.nulString();
  const authResponse = capabilities & Cap.PluginAuthLenencData ? (c.lenencBytes() ?? Buffer.alloc(0)) : capabilities & Cap.SecureConnection ? c.bytes(c.u8()) : Buffer.from(c.nulString(), "utf8");
  const database = capabilities & Cap.ConnectWithDb && c.left > 0 ? c.nulString() || null : null;
  const authPlugin = capabilities & Cap.PluginAuth && c.left > 0 ? c.nulString() : null;
  const attributes = capabilities & Cap.ConnectAttrs && c.left > 0 ? c.lenencBytes() : null;
  return { ...base, sslRequest: false, user, authResponse: Buffer.from(authResponse), database, authPlugin, attributes: attributes && Buffer.from(attributes) };
}

/** The connection attributes (program_name, _client_name...) as key/value pairs. */
export function parseAttributes(attrs: Buffer | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!attrs) return out;
  const c = new Cursor(attrs);
  try {
    while (c.left > 0) out[c.lenencString()] = c.lenencString();
  } catch {
    // Malformed attributes only cost the client its application name.
  }
  return out;
}

/** The gateway's HandshakeResponse41 to the target (or the SSLRequest before it when `auth` is null). */
export function handshakeResponsePacket(o: {
  capabilities: number;
  charset: number;
  mariadbCapabilities?: number;
  user?: string;
  auth?: Buffer;
  database?: string | null;
  plugin?: string;
  attributes?: Buffer | null;
}): Buffer {
  const fixed = Buffer.alloc(32);
  fixed.writeUInt32LE((o.mariadbCapabilities ? o.capabilities & ~Cap.LongPassword : o.capabilities) >>> 0, 0);
  fixed.writeUInt32LE(0x40000000, 4); // max packet: 1 GiB, what the server allows anyway
  fixed[8] = o.charset;
  fixed.writeUInt32LE((o.mariadbCapabilities ?? 0) >>> 0, 28);
  if (o.user === undefined) return fixed;
  const parts = [fixed, nulString(o.user), lenencBytes(o.auth ?? Buffer.alloc(0))];
  if (o.capabilities & Cap.ConnectWithDb) parts.push(nulString(o.database ?? ""));
  if (o.capabilities & Cap.PluginAuth) parts.push(nulString(o.plugin ?? ""));
  if (o.capabilities & Cap.ConnectAttrs) parts.push(lenencBytes(o.attributes ?? Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** OK: affected rows, last insert id, status, warnings. */
export function okPacket(o: { affectedRows?: number; insertId?: number; status: number; warnings?: number }): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16LE(o.status, 0);
  tail.writeUInt16LE(o.warnings ?? 0, 2);
  return Buffer.concat([Buffer.from([0]), lenencInt(o.affectedRows ?? 0), lenencInt(o.insertId ?? 0), tail]);
}

/** ERR with its error number, SQLSTATE and message (protocol 4.1 form). */
export function errPacket(spec: ErrSpec, message: string): Buffer {
  const head = Buffer.alloc(9);
  head[0] = 0xff;
  head.writeUInt16LE(spec.code, 1);
  head.write(`#${spec.state}`, 3, "latin1");
  return Buffer.concat([head, Buffer.from(message, "utf8")]);
}

export function parseErr(payload: Buffer): { code: number; state: string; message: string } {
  const code = payload.readUInt16LE(1);
  const hasState = payload[3] === 0x23; /* # */
  return { code, state: hasState ? payload.toString("latin1", 4, 9) : "HY000", message: payload.toString("utf8", hasState ? 9 : 3) };
}

/** AuthSwitchRequest: use this plugin, with this scramble. */
export const authSwitchPacket = (plugin: string, data: Buffer) => Buffer.concat([Buffer.from([0xfe]), nulString(plugin), data, Buffer.from([0])]);
/** AuthMoreData: the plugin's next step (caching_sha2: 0x04 full authentication; a PEM public key). */
export const authMoreDataPacket = (data: Buffer) => Buffer.concat([Buffer.from([0x01]), data]);

/** A refusal the listener renders as an ERR packet. */
export class MysqlError extends Error {
  constructor(
    readonly spec: ErrSpec,
    message: string,
  ) {
    super(message);
  }
  toPayload(): Buffer {
    return errPacket(this.spec, this.message);
  }
}
