import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { serialize } from "pg-protocol";
import { PgError } from "./pg-error";
import { SqlState } from "./message-codes";

export type PgTarget = {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** disable: plain; prefer: TLS when offered; require: TLS, any certificate; verify-full: TLS, verified certificate. */
  sslmode: "disable" | "prefer" | "require" | "verify-full";
};

const CONNECT_TIMEOUT_MS = 10_000;

/** Opens a socket to the target (unix socket when host is a path) and negotiates TLS as the sslmode says. */
export async function openTargetSocket(target: PgTarget, connectionName: string): Promise<Duplex> {
  const unreachable = (why: string) => new PgError("FATAL", SqlState.ConnectionFailure, `the target of connection "${connectionName}" is unreachable: ${why}`);
  const raw = target.host.startsWith("/") ? net.connect({ path: `${target.host}/.s.PGSQL.${target.port}` }) : net.connect({ host: target.host, port: target.port });
  raw.setNoDelay(true);
  raw.setKeepAlive(true, 30_000);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      raw.destroy();
      reject(unreachable("timed out"));
    }, CONNECT_TIMEOUT_MS);
    raw.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    raw.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(err.code === "ECONNREFUSED" ? "connection refused" : (err.code ?? err.message)));
    });
  });
  if (target.sslmode === "disable" || target.host.startsWith("/")) return raw;

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
  const secure = tls.connect({ socket: raw, servername: net.isIP(target.host) ? undefined : target.host, rejectUnauthorized: target.sslmode === "verify-full" });
  await new Promise<void>((resolve, reject) => {
    secure.once("secureConnect", resolve);
    secure.once("error", (e) => reject(unreachable(`TLS: ${e.message}`)));
  });
  return secure;
}
