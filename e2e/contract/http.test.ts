import { Client } from "undici";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { forgedKey } from "../support/seed";
import { addConnection } from "../../core/connections/add-connection";
import { startHttpUpstream, type HttpUpstream } from "../support/http-upstream";

// undici (the HTTP client under Node's fetch) against /proxy/<connection>/ on the gateway's HTTP
// port; the upstream is a real Node HTTP server that answers only requests carrying the injected
// credential. A session is one client TCP connection (keep-alive): the Client below keeps exactly one.
//
// How the cases map: a command is a request, `GET /echo/<text>`, whose JSON answer carries the
// text; a refusal is the HTTP status with the JSON body's `error` ("401 unauthenticated", "403
// forbidden", "403 refused"); a live session ended from outside answers its request in flight with
// "403 session_ended" and the reason, then closes the connection. Every case applies.
const UPSTREAM_TOKEN = "upstream-token-0123456789abcdef";

type Body = { error?: string; message?: string; value?: string };

const httpContract: ContractAdapter = {
  name: "http (undici)",
  sessionProtocol: "http",
  codes: { badCredential: "401 unauthenticated", noConnection: "403 forbidden", refused: "403 refused", ended: "403 session_ended" },
  cases: {
    "bad-credential": true,
    "no-connection": true,
    "deny-rule": true,
    "hold-approve": true,
    "hold-reject": true,
    "hold-timeout": true,
    "admin-kill": true,
    "key-revocation": true,
    "access-expiry": true,
    "audit-per-command": true,
    masking: true,
  },
  echo: (text) => `GET /echo/${text}`,
  async start(gw, seed) {
    const upstream: HttpUpstream = await startHttpUpstream({ check: (req) => req.headers.authorization === `Bearer ${UPSTREAM_TOKEN}` });
    const clients = new Set<Client>();
    return {
      addConnection: async (name) => void (await addConnection(seed.db, seed.box, { name, type: "http", flags: { url: upstream.url, auth: "bearer", credential: UPSTREAM_TOKEN } })),
      credential: async (who) => who.key,
      forgedCredential: forgedKey,
      async open(credential, connection) {
        const client = new Client(`http://127.0.0.1:${gw.gw.ports.http}`, { pipelining: 1, headersTimeout: 120_000, bodyTimeout: 120_000 });
        clients.add(client);
        let transcript = "";
        const call = async (command: string): Promise<ClientOutcome> => {
          const [method, path] = command.split(" ");
          const r = await new Promise<ClientOutcome>((resolve) => {
            client
              .request({ method: method as "GET", path: `/proxy/${connection}${path}`, headers: { authorization: `Bearer ${credential}` } })
              .then(async (res) => {
                const text = await res.body.text();
                if (res.statusCode >= 200 && res.statusCode < 300) return resolve({ ok: true, output: text });
                let body: Body = {};
                try {
                  body = JSON.parse(text) as Body;
                } catch {
                  body = { message: text };
                }
                resolve({ ok: false, code: `${res.statusCode} ${body.error ?? "?"}`, message: body.message ?? text });
              })
              .catch((err: Error) => resolve({ ok: false, code: "none", message: err.message }));
          });
          transcript += `${command} -> ${r.ok ? r.output : `${r.code} ${r.message}`}\n`;
          return r;
        };
        // Admitted when the first request goes through; refused with the gateway's answer.
        const first = await call("GET /echo/contract_open");
        if (!first.ok) {
          clients.delete(client);
          await client.close();
          return first;
        }
        const session: ContractSession = {
          run: call,
          // A request in flight (the upstream holds its answer): the end arrives as its answer.
          async holdOpen() {
            const before = upstream.seen.length;
            const ended = call("GET /slow?ms=60000") as Promise<Refused>;
            while (!upstream.seen.slice(before).some((s) => s.url.startsWith("/slow"))) await new Promise((r) => setTimeout(r, 25));
            return { ended };
          },
          transcript: () => transcript,
          async close() {
            clients.delete(client);
            await client.destroy();
          },
        };
        return { ok: true, session };
      },
      async stop() {
        await Promise.all([...clients].map((c) => c.destroy()));
        if (upstream.leaks.length) throw new Error(`the upstream saw a Gatehouse key:\n${upstream.leaks.join("\n")}`);
        await upstream.stop();
      },
    };
  },
};

describePipelineContract(httpContract);
