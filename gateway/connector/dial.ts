import net from "node:net";
import type { Duplex } from "node:stream";

/**
 * A login the connector does for the gateway with credentials it holds (gateway/connector/pg-login.ts):
 * the target's TLS and its password authentication, so the gateway never sees the credential.
 */
export type ConnectorLogin = { protocol: "postgres"; user: string; sslmode: "disable" | "prefer" | "require" | "verify-full" };

/** Where a protocol reaches its target: a TCP host and port, or (Postgres) a unix socket path; `login` only through a connector. */
export type DialTarget = ({ host: string; port: number } | { path: string }) & { login?: ConnectorLogin };

/** A target's socket, opened directly or through a connector; rejects with a DialError a client can be told. */
export type Dial = (to: DialTarget) => Promise<Duplex>;

/** Why the target could not be reached, in words for the client ("connection refused", "connector edge-1 is not connected..."). */
export class DialError extends Error {}

const TIMEOUT_MS = 10_000;

/** The gateway dials the target itself. */
export const dialDirect: Dial = (to) =>
  new Promise((resolve, reject) => {
    const s = "path" in to ? net.connect({ path: to.path }) : net.connect({ host: to.host, port: to.port });
    s.setNoDelay(true);
    s.setKeepAlive(true, 30_000);
    const timer = setTimeout(() => (s.destroy(), reject(new DialError("timed out"))), TIMEOUT_MS);
    s.once("connect", () => (clearTimeout(timer), resolve(s)));
    s.once("error", (e: NodeJS.ErrnoException) => (clearTimeout(timer), reject(new DialError(e.code === "ECONNREFUSED" ? "connection refused" : (e.code ?? e.message)))));
  });
