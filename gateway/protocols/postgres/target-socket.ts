import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { serialize } from "pg-protocol";
import { PgError } from "./pg-error";
import { SqlState } from "./message-codes";
import { DialError, type Dial } from "../../connector/dial";

export type PgTarget = {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** disable: plain; prefer: TLS when offered; require: TLS, any certificate; verify-full: TLS, verified certificate. */
  sslmode: "disable" | "prefer" | "require" | "verify-full";
  /** How the target is reached: dialled by the gateway, or through a connector (gateway/connector/). */
  dial: Dial;
  /**
   * Set (to the connector's name) when the connector holds the target's credentials: it negotiates
   * the target's TLS and answers its authentication itself, and the gateway sees the stream from
   * AuthenticationOk on (gateway/connector/pg-login.ts).
   */
  loginAtConnector?: string;
};

/** Opens a socket to the target (unix socket when host is a path), directly or through a connector, and negotiates TLS as the sslmode says. */
export async function openTargetSocket(target: PgTarget, connectionName: string): Promise<Duplex> {
  const unreachable = (why: string) => new PgError("FATAL", SqlState.ConnectionFailure, `the target of connection "${connectionName}" is unreachable: ${why}`);
  // Through a connector that holds the credentials, it negotiates the target's TLS and login itself.
  const login = target.loginAtConnector ? { protocol: "postgres" as const, user: target.user, sslmode: target.sslmode } : undefined;
  const to = target.host.startsWith("/") ? { path: `${target.host}/.s.PGSQL.${target.port}`, login } : { host: target.host, port: target.port, login };
  const raw = await target.dial(to).catch((err: Error) => {
    throw unreachable(err instanceof DialError ? err.message : String(err));
  });
  if (target.sslmode === "disable" || target.host.startsWith("/") || login) return raw;

  raw.write(serialize.requestSsl());
  const answer = await new Promise<number>((resolve, reject) => {
    raw.once("data", (d: Buffer) => (d.length === 1 ? resolve(d[0]) : reject(unreachable("unexpected answer to SSLRequest"))));
    raw.once("error", (e) => reject(unreachable(e.message)));
  });
  if (answer !== 0x53 /* S */) {
    if (target.sslmode === "prefer") return raw;
    raw.destroy();
    throw unreachable(`the target does not offer TLS but the connection requires sslmode=${target.sslmode}`);
  }
  const secure = tls.connect({ socket: raw as net.Socket, servername: net.isIP(target.host) ? undefined : target.host, rejectUnauthorized: target.sslmode === "verify-full" });
  await new Promise<void>((resolve, reject) => {
    secure.once("secureConnect", resolve);
    secure.once("error", (e) => reject(unreachable(`TLS: ${e.message}`)));
  });
  return secure;
}
