import tls from "node:tls";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { PgError } from "./pg-error";
import { SqlState, Frontend } from "./message-codes";
import { readPasswordMessage, readStartupPacket, type StartupPacket } from "./frontend-messages";
import { authenticationCleartextPassword, negotiateProtocolVersion } from "./backend-messages";

const MAX_STARTUP_BYTES = 10_000;
const HANDSHAKE_TIMEOUT_MS = 15_000;

export type Handshake =
  { kind: "cancel"; pid: number; secret: number } | { kind: "startup"; socket: Duplex; tls: boolean; minor: number; params: Record<string, string>; password: string; leftover: Buffer };

/** Reads length-prefixed packets from a socket during the handshake (before the relay takes over). */
class PacketReader {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private readonly onData = (d: Buffer) => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.failure = new Error("client closed the connection during start-up");
    this.wake?.();
  };

  constructor(readonly socket: Duplex) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onEnd);
  }

  /** Reads one packet: untyped (length first) during start-up, typed (type byte, then length) after. */
  async read(typed: boolean): Promise<Buffer> {
    const head = typed ? 5 : 4;
    for (;;) {
      if (this.buf.length >= head) {
        const len = this.buf.readInt32BE(typed ? 1 : 0);
        if (len < 4 || len > MAX_STARTUP_BYTES) throw new PgError("FATAL", SqlState.ProtocolViolation, `invalid start-up packet length ${len}`);
        const total = len + (typed ? 1 : 0);
        if (this.buf.length >= total) {
          const packet = this.buf.subarray(0, total);
          this.buf = this.buf.subarray(total);
          return packet;
        }
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  get pending(): number {
    return this.buf.length;
  }

  /** Stops reading (the socket stays paused until the relay resumes it) and hands back what arrived after the last packet. */
  detach(): Buffer {
    this.socket.pause();
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("error", this.onEnd);
    return this.buf;
  }
}

/**
 * Runs the client side of start-up: optional TLS, the StartupMessage (or a CancelRequest), and the
 * cleartext password exchange that carries the token. Refuses plaintext when TLS is required, and
 * refuses bytes pipelined after SSLRequest (they would bypass TLS, as in CVE-2021-23214).
 */
export async function clientHandshake(raw: net.Socket, opts: { secureContext: tls.SecureContext; requireTls: boolean }): Promise<Handshake> {
  let socket: Duplex = raw;
  let reader = new PacketReader(raw);
  let secure = false;
  const timer = setTimeout(() => raw.destroy(), HANDSHAKE_TIMEOUT_MS);
  try {
    let packet: StartupPacket;
    for (;;) {
      packet = readStartupPacket(await reader.read(false));
      if (packet.kind === "ssl" && !secure) {
        if (reader.pending > 0) throw new PgError("FATAL", SqlState.ProtocolViolation, "unexpected data after SSLRequest");
        reader.detach();
        raw.write("S");
        const tlsSocket = new tls.TLSSocket(raw, { isServer: true, secureContext: opts.secureContext });
        await new Promise<void>((resolve, reject) => {
          tlsSocket.once("secure", resolve);
          tlsSocket.once("error", reject);
        });
        tlsSocket.on("error", () => {});
        socket = tlsSocket;
        reader = new PacketReader(tlsSocket);
        secure = true;
        continue;
      }
      if (packet.kind === "ssl" || packet.kind === "gssenc") {
        socket.write("N");
        continue;
      }
      break;
    }
    if (packet.kind === "cancel") return { kind: "cancel", pid: packet.pid, secret: packet.secret };
    if (packet.kind !== "startup") throw new PgError("FATAL", SqlState.ProtocolViolation, "unexpected start-up packet");
    if (packet.major !== 3) throw new PgError("FATAL", SqlState.FeatureNotSupported, `unsupported frontend protocol ${packet.major}.${packet.minor}: the gateway speaks 3.0`);
    if (opts.requireTls && !secure) {
      throw new PgError("FATAL", SqlState.InvalidAuthorization, "this gateway requires TLS", undefined, "Connect with sslmode=require.");
    }
    if (packet.params.replication && packet.params.replication !== "false") {
      throw new PgError("FATAL", SqlState.FeatureNotSupported, "replication connections are not supported through the gateway");
    }
    if (!packet.params.database && !packet.params.user) {
      throw new PgError("FATAL", SqlState.InvalidAuthorization, "no database given: the database name selects the Gatehouse connection");
    }
    // Protocol 3.2 or `_pq_.` options: say what the gateway speaks before authentication, as servers do.
    const unsupported = Object.keys(packet.params).filter((k) => k.startsWith("_pq_."));
    if (packet.minor > 0 || unsupported.length) socket.write(negotiateProtocolVersion(0, unsupported));
    socket.write(authenticationCleartextPassword());
    const reply = await reader.read(true);
    if (reply[0] !== Frontend.Password) throw new PgError("FATAL", SqlState.ProtocolViolation, "expected a password message");
    const read = readPasswordMessage(reply);
    if (!read.ok)
      throw new PgError("FATAL", SqlState.ProtocolViolation, `invalid password packet: ${read.problem}`, undefined, "Send the Gatehouse key or access token exactly, as the whole password.");
    return { kind: "startup", socket, tls: secure, minor: packet.minor, params: packet.params, password: read.password, leftover: reader.detach() };
  } catch (err) {
    reader.detach();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
