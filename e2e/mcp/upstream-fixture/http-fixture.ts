import http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createFixtureServer } from "./fixture-server.mjs";

export type HttpFixture = {
  url: string;
  leaks: string[];
  unauthorised: number;
  /** Forgets every MCP session, as a restarted server does (their ids then get 404). */
  forgetSessions: () => Promise<void>;
  stop: () => Promise<void>;
};

/**
 * The fixture MCP server over Streamable HTTP (stateful, as most servers run: an Mcp-Session-Id per
 * client), on a free port. Answers 401 to a request without `Authorization: Bearer <token>`, and
 * keeps any request that carried a Gatehouse key (`ghk_`) in `leaks`.
 */
export async function startHttpFixture(stateFile: string, token: string): Promise<HttpFixture> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const fixture = { leaks: [] as string[], unauthorised: 0 };
  const server = http.createServer((req, res) => {
    void (async () => {
      const raw = req.rawHeaders.join("\n");
      if (raw.includes("ghk_")) fixture.leaks.push(raw);
      if (req.headers.authorization !== `Bearer ${token}`) {
        fixture.unauthorised++;
        return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"wrong credential"}');
      }
      const id = req.headers["mcp-session-id"];
      let transport = typeof id === "string" ? transports.get(id) : undefined;
      if (!transport) {
        if (id) return void res.writeHead(404).end();
        const fresh = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void transports.set(sid, fresh) });
        fresh.onclose = () => fresh.sessionId && transports.delete(fresh.sessionId);
        await createFixtureServer(stateFile, token).connect(fresh);
        transport = fresh;
      }
      await transport.handleRequest(req, res);
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get leaks() {
      return fixture.leaks;
    },
    get unauthorised() {
      return fixture.unauthorised;
    },
    forgetSessions: async () => {
      const all = [...transports.values()];
      transports.clear();
      for (const t of all) await t.close().catch(() => {});
    },
    stop: async () => {
      for (const t of transports.values()) await t.close().catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
