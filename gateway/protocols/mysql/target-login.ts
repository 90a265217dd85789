import { constants, createHash, publicEncrypt } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { PacketChannel } from "./packet-channel";
import { handshakeResponsePacket, parseErr, parseGreeting, type Greeting } from "./handshake-messages";
import { Cap, RELAYABLE_MARIADB_CAPS } from "./protocol-constants";
import type { MysqlSettings } from "../../../core/connections/types/mysql";
import { DialError, type Dial } from "../../connector/dial";

export type MysqlTarget = MysqlSettings & { password?: string };
/** `mariadbCapabilities`: the MariaDB extended capabilities the target granted (MariadbCap). */
export type TargetSession = { socket: Duplex; leftover: Buffer; greeting: Greeting; capabilities: number; mariadbCapabilities: number; ok: Buffer };

const TIMEOUT_MS = 10_000;

/** The target refused the login (its own ERR), or could not be reached. */
export class TargetLoginError extends Error {
  constructor(
    message: string,
    readonly refusedBy: "target" | "network",
    /** The target's own error packet, when it refused the login with one. */
    readonly targetError?: { code: number; state: string; message: string },
  ) {
    super(message);
  }
}

/** Connects and reads the greeting only: what the gateway advertises to clients before it knows which connection they want. */
export async function probeGreeting(dial: Dial, host: string, port: number): Promise<Greeting> {
  const socket = await connect(dial, host, port);
  try {
    return parseGreeting((await new PacketChannel(socket, 1 << 16).next(TIMEOUT_MS)).payload);
  } finally {
    socket.destroy();
  }
}

/**
 * The client side of the login to the target, with the connection's own credentials:
 * mysql_native_password and caching_sha2_password (fast path, or full authentication over TLS or
 * with the target's RSA key), TLS as the connection's mode says. Capabilities are the client's
 * that the target and the gateway share (so the relayed stream is what the client expects).
 */
export async function loginToTarget(
  dial: Dial,
  t: MysqlTarget,
  client: { capabilities: number; mariadbCapabilities?: number; charset: number; database: string | null; attributes: Buffer | null },
  allowLocalInfile: boolean,
): Promise<TargetSession> {
  let socket: Duplex = await connect(dial, t.host, t.port);
  let channel = new PacketChannel(socket, 1 << 24);
  try {
    const greeting = parseGreeting((await channel.next(TIMEOUT_MS)).payload);
    const database = client.database ?? t.database ?? null;
    let caps = (client.capabilities & greeting.capabilities & ~(Cap.Compress | Cap.Ssl | Cap.LocalFiles | Cap.ConnectWithDb)) >>> 0;
    caps |= Cap.Protocol41 | Cap.SecureConnection | Cap.PluginAuth | Cap.LongPassword;
    if (caps & Cap.ConnectAttrs && !client.attributes) caps &= ~Cap.ConnectAttrs;
    if (!(greeting.capabilities & Cap.PluginAuthLenencData)) caps &= ~Cap.PluginAuthLenencData;
    else caps |= Cap.PluginAuthLenencData;
    if (database) caps |= Cap.ConnectWithDb;
    if (allowLocalInfile && client.capabilities & Cap.LocalFiles) caps |= Cap.LocalFiles;
    const mariadbCapabilities = (client.mariadbCapabilities ?? 0) & greeting.mariadbCapabilities & RELAYABLE_MARIADB_CAPS;
    let seq = 1;
    let secure = false;
    const offersTls = (greeting.capabilities & Cap.Ssl) !== 0;
    if (t.tls !== "disable" && offersTls) {
      caps |= Cap.Ssl;
      seq = channel.send(handshakeResponsePacket({ capabilities: caps, mariadbCapabilities, charset: client.charset }), seq);
      channel.release();
      const s = tls.connect({ socket: socket as net.Socket, servername: net.isIP(t.host) ? undefined : t.host, rejectUnauthorized: t.tls === "verify-full" });
      await new Promise<void>((resolve, reject) => {
        s.once("secureConnect", resolve);
        s.once("error", (e) => reject(new TargetLoginError(`TLS: ${e.message}`, "network")));
      });
      socket = s;
      channel = new PacketChannel(s, 1 << 24);
      secure = true;
    } else if (t.tls === "require" || t.tls === "verify-full") throw new TargetLoginError(`the target does not offer TLS but the connection requires tls=${t.tls}`, "network");

    const password = t.password ?? "";
    let plugin = greeting.authPlugin;
    let scramble = greeting.scramble;
    seq = channel.send(
      handshakeResponsePacket({
        capabilities: caps,
        mariadbCapabilities,
        charset: client.charset,
        user: t.user,
        auth: scrambled(plugin, password, scramble),
        database,
        plugin,
        attributes: client.attributes,
      }),
      seq,
    );
    for (;;) {
      const p = await channel.next(TIMEOUT_MS);
      seq = (p.lastSeq + 1) & 0xff;
      const first = p.payload[0];
      if (first === 0x00) return { socket, leftover: channel.release(), greeting, capabilities: caps, mariadbCapabilities, ok: Buffer.from(p.payload) };
      if (first === 0xff) {
        const refused = parseErr(p.payload);
        throw new TargetLoginError(refused.message, "target", refused);
      }
      if (first === 0xfe) {
        // AuthSwitchRequest: the account uses another plugin.
        const nul = p.payload.indexOf(0, 1);
        plugin = p.payload.toString("latin1", 1, nul);
        scramble = p.payload.subarray(nul + 1, p.payload.at(-1) === 0 ? -1 : undefined);
        seq = channel.send(scrambled(plugin, password, scramble), seq);
        continue;
      }
      if (first === 0x01 && plugin === "caching_sha2_password") {
        const step = p.payload[1];
        if (step === 0x03) continue; // fast authentication succeeded: the OK follows
        if (step === 0x04) {
          if (secure) seq = channel.send(Buffer.from(password + "\0"), seq);
          else seq = channel.send(Buffer.from([0x02]), seq); // ask for the target's public key
          continue;
        }
        // The target's public key (sent after our request).
        const pem = p.payload.toString("latin1", 1);
        const plain = Buffer.from(password + "\0");
        for (let i = 0; i < plain.length; i++) plain[i] ^= scramble[i % scramble.length];
        seq = channel.send(publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_OAEP_PADDING }, plain), seq);
        continue;
      }
      throw new TargetLoginError(`the target asked for an authentication step the gateway does not speak (${plugin})`, "target");
    }
  } catch (err) {
    socket.destroy();
    if (err instanceof TargetLoginError) throw err;
    throw new TargetLoginError((err as Error).message, "network");
  }
}

/** The plugin's answer to the scramble. */
function scrambled(plugin: string, password: string, scramble: Buffer): Buffer {
  if (!password) return Buffer.alloc(0);
  if (plugin === "mysql_native_password") {
    const h1 = sha("sha1", Buffer.from(password));
    const h3 = sha("sha1", scramble.subarray(0, 20), sha("sha1", h1));
    return xor(h1, h3);
  }
  if (plugin === "caching_sha2_password") {
    const h1 = sha("sha256", Buffer.from(password));
    const h3 = sha("sha256", sha("sha256", h1), scramble.subarray(0, 20));
    return xor(h1, h3);
  }
  if (plugin === "mysql_clear_password") return Buffer.from(password + "\0");
  throw new TargetLoginError(`the target's account uses the ${plugin} plugin, which the gateway does not speak (use mysql_native_password or caching_sha2_password)`, "target");
}

const sha = (alg: string, ...parts: Buffer[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((v, i) => v ^ b[i]));

function connect(dial: Dial, host: string, port: number): Promise<Duplex> {
  return dial({ host, port }).catch((e: Error) => {
    throw new TargetLoginError(e instanceof DialError ? e.message : String(e), "network");
  });
}
