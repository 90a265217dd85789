import { addConnection } from "../../core/connections/add-connection";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedGrant, seedIdentity, type Seed, type SeededIdentity } from "../support/seed";
import { startHttpUpstream, type HttpUpstream } from "../support/http-upstream";

/** The secret each connection injects; the upstream answers only requests that carry one of them as configured. */
export const SECRETS = { bearer: "bearer-secret-7f3a9c2e51d4", header: "header-secret-a81b77c0de55", query: "query+secret/=9f01" } as const;

export type HttpFixture = {
  gw: TestGateway;
  seed: Seed;
  upstream: HttpUpstream;
  agent: SeededIdentity;
  /** `http://127.0.0.1:<port>/proxy/<connection>` */
  base: (connection: string) => string;
  close: () => Promise<void>;
};

/**
 * A gateway, a real upstream and connections to it, all granted to the agent's group:
 * `bearer` (Authorization: Bearer), `header` (X-API-Key), `query` (?api_key=), each with the flags
 * given in `extra` added.
 */
export async function startHttpFixture(connections: Record<string, { auth: "bearer" | "header" | "query"; flags?: Record<string, string | boolean> }>): Promise<HttpFixture> {
  const upstream = await startHttpUpstream({
    check: (req) => {
      const q = new URL(req.url ?? "/", "http://x").searchParams.get("api_key");
      return req.headers.authorization === `Bearer ${SECRETS.bearer}` || req.headers["x-api-key"] === SECRETS.header || q === SECRETS.query;
    },
  });
  const gw = await startTestGateway();
  const seed = openSeed(gw);
  for (const [name, c] of Object.entries(connections)) {
    const auth = c.auth === "header" ? { auth: "header", "auth-name": "X-API-Key" } : c.auth === "query" ? { auth: "query", "auth-name": "api_key" } : { auth: "bearer" };
    await addConnection(seed.db, seed.box, { name, type: "http", flags: { url: upstream.url, ...auth, credential: SECRETS[c.auth], ...c.flags } });
    await seedGrant(seed, "agents", name);
  }
  const agent = await seedIdentity(seed, "http-agent", ["agents"]);
  return {
    gw,
    seed,
    upstream,
    agent,
    base: (connection) => `http://127.0.0.1:${gw.gw.ports.http}/proxy/${connection}`,
    close: async () => {
      await seed.close();
      await gw.close();
      await upstream.stop();
    },
  };
}

/** Every form a secret could take in a response (raw, URL-encoded, as a form value). */
export const secretForms = (secret: string) => [secret, encodeURIComponent(secret), new URLSearchParams({ v: secret }).toString().slice(2)];
