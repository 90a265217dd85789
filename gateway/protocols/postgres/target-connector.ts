import type { Duplex } from "node:stream";
import { Parser } from "pg-protocol/dist/parser";
import { PgError } from "./pg-error";
import { SqlState } from "./message-codes";
import { openTargetSocket, type PgTarget } from "./target-socket";
import { TargetAuth } from "./target-auth";

export type TargetSession = {
  socket: Duplex;
  /** The target's reported parameters (ParameterStatus), as of start-up or of the last reset (target-pool.ts). */
  parameters: Map<string, string>;
  backendPid: number;
  backendSecret: number;
  /** The transaction status of the first ReadyForQuery. */
  status: "I" | "T" | "E";
};

// Parameters the gateway owns or the client must not steer through the gateway.
const NOT_FORWARDED = new Set(["user", "database", "replication"]);

/** The client's start-up parameters the target is sent (application_name, options, DateStyle...). */
export function forwardedParams(clientParams: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(clientParams)) if (!NOT_FORWARDED.has(k) && !k.startsWith("_pq_.")) params[k] = v;
  return params;
}

/**
 * The StartupMessage (protocol 3.0) with these parameters. Not pg-protocol's serialize.startup: it
 * appends client_encoding=UTF8 after them (node-postgres speaks UTF-8 only), which overrode the
 * client's own (a LATIN1 client got UTF-8 rows and "invalid byte sequence" for its 'é'). A client
 * that names none still gets UTF8, as before.
 */
export function startupMessage(params: Record<string, string>): Buffer {
  const all = params.client_encoding ? params : { ...params, client_encoding: "UTF8" };
  const body = Buffer.concat([...Object.entries(all).map(([k, v]) => Buffer.from(`${k}\0${v}\0`, "utf8")), Buffer.from([0])]);
  const head = Buffer.allocUnsafe(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(3 << 16, 4);
  return Buffer.concat([head, body]);
}

/**
 * Connects and authenticates to the target with the gateway's stored credentials, forwarding the
 * client's other start-up parameters (application_name, options, extra_float_digits...) unchanged.
 * SCRAM is node-postgres's implementation (pg/lib/crypto/sasl); the protocol parsing is pg-protocol's.
 */
export async function connectTarget(target: PgTarget, clientParams: Record<string, string>, connectionName: string): Promise<TargetSession> {
  const socket = await openTargetSocket(target, connectionName);
  const params = forwardedParams(clientParams);
  params.user = target.user;
  params.database = target.database;
  socket.write(startupMessage(params));

  const refused = (why: string) => new PgError("FATAL", SqlState.ConnectionFailure, `connection "${connectionName}" is unavailable: the target refused the gateway (${why})`);

  return new Promise<TargetSession>((resolve, reject) => {
    const parser = new Parser();
    const statuses = new Map<string, string>();
    let pid = 0;
    let secret = 0;
    const fail = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(refused("start-up timed out")), 15_000);
    const cleanup = () => {
      clearTimeout(timer);
      socket.pause(); // the relay resumes it once its own handlers are in place
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
    };
    const auth = new TargetAuth(target.user, () => {
      if (target.password) return target.password;
      throw refused(
        target.loginAtConnector
          ? `it asks for a password and connector ${target.loginAtConnector} holds none for this connection (its --credentials file)`
          : "it asks for a password and none is stored for this connection",
      );
    });
    const onMessage = async (msg: any) => {
      if (TargetAuth.handles(msg.name)) {
        const reply = await auth.reply(msg);
        if (reply) socket.write(reply);
        return;
      }
      switch (msg.name) {
        case "parameterStatus":
          statuses.set(msg.parameterName, msg.parameterValue);
          break;
        case "backendKeyData":
          pid = msg.processID;
          secret = msg.secretKey;
          break;
        case "readyForQuery":
          cleanup();
          resolve({ socket, parameters: statuses, backendPid: pid, backendSecret: secret, status: msg.status });
          break;
        case "error":
          fail(refused(`${msg.code}: ${msg.message}`));
          break;
        case "authenticationOk":
        case "notice":
          break;
        default:
          fail(refused(`unexpected ${msg.name} during start-up`));
      }
    };
    const onData = (chunk: Buffer) =>
      parser.parse(chunk, (msg) => {
        onMessage(msg).catch((e) => fail(e instanceof PgError ? e : refused(e.message)));
      });
    const onError = (e: Error) => fail(refused(e.message));
    const onClose = () => fail(refused("it closed the connection during start-up"));
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  });
}
