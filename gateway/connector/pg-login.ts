import type { Duplex } from "node:stream";
import { Parser } from "pg-protocol/dist/parser";
import { openTargetSocket } from "../protocols/postgres/target-socket";
import { TargetAuth, type AuthMessage } from "../protocols/postgres/target-auth";
import type { ConnectorLogin } from "./dial";
import { dialDirect } from "./dial";
import type { MuxStream } from "./mux";

/** What a connector holds for the connections whose credentials stay with it (`--credentials file.json`). */
export type ConnectorCredentials = Record<string, { password: string; /** host:port the password is for: never offered to another. */ target: string }>;

/**
 * A Postgres target reached by a connector that holds its credentials: the connector negotiates the
 * target's TLS as the connection's sslmode says and answers its password authentication (cleartext,
 * MD5, SCRAM) with its own password, so the gateway never holds or sees it. The gateway's start-up
 * message passes through; of what the target sends, the authentication requests stay here and the
 * stream reaches the gateway from AuthenticationOk on (or the target's error, which it reports).
 */
export async function openPgTarget(host: string, port: number, connection: string, login: ConnectorLogin): Promise<Duplex> {
  // A unix socket (the gateway sends its whole path) has no TLS to negotiate.
  if (host.startsWith("/")) return dialDirect({ path: host });
  return openTargetSocket({ host, port, database: "", user: login.user, sslmode: login.sslmode, dial: dialDirect }, connection);
}

/** Pipes gateway <-> target (opened by openPgTarget), answering the target's authentication requests on the way (see above). */
export function relayWithLogin(stream: MuxStream, target: Duplex, user: string, password: string | undefined): void {
  const auth = new TargetAuth(user, () => {
    if (password === undefined) throw new Error("no password");
    return password;
  });
  stream.pipe(target);
  let pending: Buffer = Buffer.alloc(0);
  let passing = false;
  const parser = new Parser();
  const onData = async (chunk: Buffer) => {
    if (passing) return void stream.write(chunk);
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 1 + len) return;
      const msg = pending.subarray(0, 1 + len);
      const code = msg[0] === 0x52 /* R */ && len >= 8 ? msg.readUInt32BE(5) : -1;
      // Authentication requests other than Ok (0) are answered here when the connector holds a password.
      if (code > 0 && password !== undefined) {
        target.pause();
        let parsed: AuthMessage | undefined;
        parser.parse(msg, (m) => (parsed = m as unknown as AuthMessage));
        try {
          const reply = parsed && (await auth.reply(parsed));
          if (reply) target.write(reply);
        } catch (err) {
          stream.destroy(new Error(`the connector could not log in to the target: ${(err as Error).message}`));
          target.destroy();
          return;
        }
        pending = pending.subarray(1 + len);
        target.resume();
        continue;
      }
      // AuthenticationOk, an error, or a request the connector cannot answer: from here on, bytes pass as they are.
      passing = true;
      target.off("data", onDataSync);
      stream.write(pending);
      pending = Buffer.alloc(0);
      target.pipe(stream);
      return;
    }
  };
  const onDataSync = (chunk: Buffer) => void onData(chunk);
  target.on("data", onDataSync);
  target.on("end", () => !passing && stream.end());
  target.on("error", (err) => stream.destroy(err));
}
