import { hash } from "node:crypto";
import type { Socket } from "node:net";
import type { GatewayDeps } from "../../gateway-deps";
import type { Identity } from "../../../core/identity/identity";
import type { ResolvedConnection } from "../../../core/access/resolve-connection";
import { openSession, type SessionScope } from "../../pipeline/session-scope";

/**
 * `/mcp` as the "connection" of its client sessions: each tool call names the connection it reaches,
 * and reaches it through a session of its own there; this session groups a client's calls. Its name
 * is the endpoint's path, which no connection can be named (a connection name has no slash).
 */
export const MCP_ENDPOINT_NAME = "/mcp";
const MCP_ENDPOINT: ResolvedConnection = { id: "", name: MCP_ENDPOINT_NAME, type: "mcp-endpoint", settings: {}, secret: {} };

/**
 * A client's session on `/mcp`: its calls' events carry its id. A kill, revocation or expiry lets the
 * calls in flight finish (their inner sessions, ended by the same event, tell them why), answers any
 * later request with the reason, and closes the client's connection once nothing is in flight (at most 5 s later).
 */
export type EndpointSession = { scope: SessionScope; bytesIn: number; bytesOut: number; inFlight: number; endedBy: string | null; settle: () => void };

/**
 * One session per client TCP connection and credential on `/mcp` (an MCP client keeps its HTTP
 * connection alive across calls), opened through the pipeline's openSession (record, live
 * registration, start and end events) and ended when the connection closes. The endpoint stays
 * stateless for MCP: any instance answers any request, and a client that reconnects gets a new session.
 */
export class EndpointSessions {
  private readonly bySocket = new WeakMap<Socket, Map<string, Promise<EndpointSession>>>();

  constructor(private readonly deps: GatewayDeps) {}

  /** The session of this socket and credential, opened on first use; throws SessionUnrecordedError when no record can be written. */
  get(socket: Socket, credential: string, identity: Identity): Promise<EndpointSession> {
    let sessions = this.bySocket.get(socket);
    if (!sessions) {
      const fresh = new Map<string, Promise<EndpointSession>>();
      this.bySocket.set(socket, (sessions = fresh));
      socket.once("close", () => void this.endAll(fresh));
    }
    const key = hash("sha256", credential, "base64");
    let session = sessions.get(key);
    if (!session) {
      session = this.open(socket, identity);
      sessions.set(key, session);
      // Not kept when it could not be recorded: the next request tries again.
      session.catch(() => sessions.delete(key));
    }
    return session;
  }

  private async open(socket: Socket, identity: Identity): Promise<EndpointSession> {
    const session: EndpointSession = {
      scope: undefined as unknown as SessionScope,
      bytesIn: 0,
      bytesOut: 0,
      inFlight: 0,
      endedBy: null,
      // Called as each request ends: an ended session's connection goes once it is idle.
      settle: () => {
        if (session.endedBy !== null && session.inFlight === 0) socket.destroy();
      },
    };
    session.scope = await openSession(
      this.deps,
      { identity, connection: MCP_ENDPOINT, authenticatedAt: Date.now() },
      {
        protocol: "mcp",
        clientAddr: socket.remoteAddress ?? null,
        clientApp: null,
        clientUser: null,
        endpoint: true,
        start: { message: "MCP client connection to /mcp" },
        kill: (reason) => {
          session.endedBy = reason;
          session.settle();
          setTimeout(() => socket.destroy(), 5000).unref();
        },
      },
    );
    return session;
  }

  private async endAll(sessions: Map<string, Promise<EndpointSession>>): Promise<void> {
    for (const opened of sessions.values()) {
      const s = await opened.catch(() => null);
      if (s) await s.scope.end({ failed: false, reason: "the client closed the connection", bytesIn: s.bytesIn, bytesOut: s.bytesOut });
    }
  }
}
