import { randomBytes, type KeyObject } from "node:crypto";
import { cString, readFullAuthPassword } from "./full-auth";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { PacketChannel, withPrefix } from "./packet-channel";
import { authMoreDataPacket, authSwitchPacket, greetingPacket, MysqlError, parseAttributes, parseHandshakeResponse, type Greeting } from "./handshake-messages";
import { Cap, Err, RELAYABLE_CAPS } from "./protocol-constants";

/** The gateway's RSA key pair for caching_sha2_password without TLS (the client encrypts the password to it). */
export type RsaKeys = { publicPem: string; privateKey: KeyObject };

/** A client that has proved nothing yet but said who it claims to be, with the password it gave. */
export type ClientLogin = {
  channel: PacketChannel;
  /** The connection's name. */
  user: string;
  database: string | null;
  /** The Gatehouse key or OIDC token. */
  password: string;
  capabilities: number;
  /** MariaDB's extended capabilities the client and the gateway's greeting agreed on (MariadbCap). */
  mariadbCapabilities: number;
  charset: number;
  attributes: Buffer | null;
  programName: string | null;
  /** The client's connection attribute gatehouse_prefer=respond-async: held statements answered at once. */
  respondAsync: boolean;
  tls: boolean;
  /** The client asked for the compressed protocol (CLIENT_COMPRESS), which starts after the login's OK. */
  compress: boolean;
  /** The sequence id of the gateway's next packet in this exchange (its OK or ERR). */
  seq: number;
};

const STEP_TIMEOUT_MS = 10_000;
const PLUGIN = "caching_sha2_password";
const CLEAR_PLUGIN = "mysql_clear_password";

/**
 * The server side of the login, up to the point where the gateway holds the client's password:
 * greeting (the target's version and capabilities), optional TLS, then caching_sha2_password
 * asking for full authentication. Over TLS the client sends the password as is; without TLS it
 * asks for the gateway's RSA public key and sends the password encrypted to it (OAEP), XORed with
 * the scramble. A client that answers with another plugin is switched to caching_sha2_password, but
 * for mysql_clear_password (a client told by a flag to send its password in the clear, the fallback for
 * clients without caching_sha2_password), whose answer is the password.
 * Throws MysqlError (with the sequence id to answer at) for what the client did wrong.
 */
export async function clientLogin(
  raw: Duplex,
  o: { target: Omit<Greeting, "scramble" | "authPlugin">; secureContext: tls.SecureContext; requireTls: boolean; rsa: RsaKeys; maxPacketBytes: number },
): Promise<ClientLogin> {
  const scramble = Buffer.from(randomBytes(20).map((b) => b & 0x7f || 1)); // printable-safe, no NUL (clients treat it as a C string)
  // Compression when the target offers it (compressed-stream.ts: the client's side only; the target's stays plain).
  const capabilities = ((o.target.capabilities & (RELAYABLE_CAPS | Cap.Compress)) | Cap.Ssl | Cap.PluginAuth | Cap.SecureConnection | Cap.Protocol41) >>> 0;
  let channel = new PacketChannel(raw, Math.min(o.maxPacketBytes, 1 << 20));
  channel.send(greetingPacket({ ...o.target, capabilities, scramble, authPlugin: PLUGIN }), 0);
  let packet = await channel.next(STEP_TIMEOUT_MS);
  let hs = parse(packet.payload, packet.seq);
  let secure = false;
  if (hs.sslRequest) {
    const rest = channel.release();
    const tlsSocket = new tls.TLSSocket(withPrefix(raw, rest), { isServer: true, secureContext: o.secureContext });
    await new Promise<void>((resolve, reject) => {
      tlsSocket.once("secure", resolve);
      tlsSocket.once("error", reject);
    });
    tlsSocket.on("error", () => {});
    secure = true;
    channel = new PacketChannel(tlsSocket, Math.min(o.maxPacketBytes, 1 << 20));
    packet = await channel.next(STEP_TIMEOUT_MS);
    hs = parse(packet.payload, packet.seq);
    if (hs.sslRequest) throw new MysqlError(Err.Handshake, "Bad handshake");
  }
  let seq = (packet.lastSeq + 1) & 0xff;
  if (o.requireTls && !secure) throw Object.assign(new MysqlError(Err.SecureTransportRequired, "Connections using insecure transport are prohibited: this gateway requires TLS"), { seq });
  if (!(hs.capabilities & Cap.PluginAuth) || !(hs.capabilities & Cap.SecureConnection))
    throw Object.assign(new MysqlError(Err.Handshake, "the client does not support pluggable authentication (caching_sha2_password)"), { seq });

  let auth: { password: string; seq: number };
  if (hs.authPlugin === CLEAR_PLUGIN) {
    // The fallback for a client without caching_sha2_password: it was told (a client flag, as MariaDB's
    // --default-auth=mysql_clear_password) to send its password in the clear, and its first answer is it.
    auth = { password: cString(hs.authResponse), seq };
  } else {
    if (hs.authPlugin !== PLUGIN) {
      // Another plugin's answer proves nothing to us: ask again in caching_sha2_password.
      seq = channel.send(authSwitchPacket(PLUGIN, scramble), seq);
      packet = await channel.next(STEP_TIMEOUT_MS);
      seq = (packet.lastSeq + 1) & 0xff;
    }
    // The fast path's scramble cannot be checked (the gateway has no hash of a token): full authentication.
    seq = channel.send(authMoreDataPacket(Buffer.from([0x04])), seq);
    packet = await channel.next(STEP_TIMEOUT_MS);
    auth = await readFullAuthPassword(packet, { tls: secure, scramble, rsa: o.rsa, send: (p, s) => channel.send(p, s), next: () => channel.next(STEP_TIMEOUT_MS) });
  }
  const attrs = parseAttributes(hs.attributes);
  return {
    channel,
    user: hs.user,
    database: hs.database,
    password: auth.password,
    capabilities: hs.capabilities,
    mariadbCapabilities: hs.mariadbCapabilities & o.target.mariadbCapabilities,
    charset: hs.charset,
    attributes: hs.attributes,
    programName: attrs.program_name ?? attrs._client_name ?? null,
    // A program that cannot wait for a human (Gatehouse's MCP query tool) asks for held statements to be answered at once.
    respondAsync: attrs.gatehouse_prefer === "respond-async",
    tls: secure,
    compress: (hs.capabilities & capabilities & Cap.Compress) !== 0,
    seq: auth.seq,
  };
}

function parse(payload: Buffer, seq: number) {
  try {
    return parseHandshakeResponse(payload);
  } catch {
    throw Object.assign(new MysqlError(Err.Handshake, "Bad handshake"), { seq: (seq + 1) & 0xff });
  }
}
