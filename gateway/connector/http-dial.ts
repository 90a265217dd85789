import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import type { Dial } from "./dial";

type CreateConnection = NonNullable<http.ClientRequestArgs["createConnection"]>;
type Callback = (err: Error | null, stream: Duplex) => void;

/**
 * `createConnection` for Node's HTTP client that opens the socket with `dial` (through a connector)
 * and, for https, runs TLS over it with the request's own TLS options (CA, verification, client
 * certificate, server name), so the upstream sees the same TLS as when the gateway dials it.
 */
export function dialConnection(dial: Dial, secure: boolean): CreateConnection {
  return ((options: tls.ConnectionOptions & { host?: string; port?: number | string; servername?: string }, cb: Callback) => {
    const host = options.host ?? "localhost";
    const port = Number(options.port ?? (secure ? 443 : 80));
    dial({ host, port }).then(
      (raw) => {
        if (!secure) return cb(null, raw);
        const servername = options.servername ?? (net.isIP(host) ? undefined : host);
        const s = tls.connect({ ...options, host, port, servername, socket: raw as net.Socket });
        s.once("secureConnect", () => cb(null, s));
        s.once("error", (err) => cb(err, s));
      },
      (err: Error) => cb(err, undefined as unknown as Duplex),
    );
    return undefined;
  }) as unknown as CreateConnection;
}

/** A keep-alive agent whose sockets are opened with `dial` (see dialConnection). */
export function dialAgent(dial: Dial, secure: boolean, options: https.AgentOptions): http.Agent {
  const agent = secure ? new https.Agent(options) : new http.Agent(options);
  (agent as unknown as { createConnection: CreateConnection }).createConnection = dialConnection(dial, secure);
  return agent;
}
