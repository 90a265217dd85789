import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import Provider from "oidc-provider";

/**
 * A REAL OpenID Connect provider for the identity tests, not a mock: the `oidc-provider` package
 * (a certified OpenID Provider implementation) served over HTTP on 127.0.0.1 with its own freshly
 * generated RSA signing key. It publishes a discovery document and a JWKS exactly as a production
 * issuer does, and the gateway finds and uses them unaided. Tokens come from real OAuth requests:
 * dynamic client registration (RFC 7591), then the client credentials grant with a resource
 * indicator (RFC 8707), which makes the provider issue a JWT access token (RFC 9068) whose `aud`
 * is that resource.
 *
 * The client credentials grant has no user, so a token's identity is its client (a service
 * account): each set of groups gets its own registered client, whose metadata carries the groups
 * and a display name; the provider puts them into the token as `groups` and `preferred_username`
 * (the way Keycloak names service accounts).
 */

export const GATEHOUSE_AUDIENCE = "https://gatehouse.test";

export type TokenRequest = {
  groups: string[];
  /** The resource (and so the `aud`) the token is for; default GATEHOUSE_AUDIENCE. */
  audience?: string;
  /** `preferred_username` of the service account; default derived from the groups. */
  name?: string;
  /** Access token lifetime in seconds; default 300. */
  ttlSeconds?: number;
  /**
   * Makes the provider date the token this many seconds in the past (iat and exp), as if it had
   * been issued then. This is how a test gets a genuinely provider-signed token that has expired
   * without sleeping past the gateway's allowed clock skew.
   */
  issuedSecondsAgo?: number;
};

export type TestOidcProvider = {
  issuer: string;
  /** The `kid` of the provider's signing key (a forger would reuse it). */
  kid: string;
  getToken: (req: TokenRequest) => Promise<string>;
  stop: () => Promise<void>;
};

type Registered = { client_id: string; client_secret: string };

export async function startOidcProvider(): Promise<TestOidcProvider> {
  // The issuer must equal the URL the provider is reached at, so take a free port first.
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const kid = `test-${randomUUID()}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" };

  const meta = (client: unknown, key: string) => (client as Record<string, unknown> | undefined)?.[key];

  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [],
    extraClientMetadata: { properties: ["groups", "token_ttl", "token_issued_seconds_ago"] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => GATEHOUSE_AUDIENCE,
        // Any https resource is a known API here; each gets signed JWT access tokens.
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!resource.startsWith("https://")) throw new Provider.errors.InvalidTarget();
          return { scope: "api", audience: resource, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } };
        },
      },
    },
    ttl: { ClientCredentials: (_ctx: unknown, _token: unknown, client: unknown) => Number(meta(client, "token_ttl") ?? 300) },
    extraTokenClaims: (_ctx: unknown, token: unknown) => {
      const client = (token as { client?: { clientName?: string } }).client;
      return { groups: meta(client, "groups") ?? [], preferred_username: client?.clientName };
    },
    formats: {
      customizers: {
        jwt: (_ctx: unknown, token: unknown, jwt: { payload: Record<string, unknown> }) => {
          const ago = Number(meta((token as { client?: unknown }).client, "token_issued_seconds_ago") ?? 0);
          if (ago > 0) {
            jwt.payload.iat = (jwt.payload.iat as number) - ago;
            jwt.payload.exp = (jwt.payload.exp as number) - ago;
          }
        },
      },
    },
  });
  server.on("request", provider.callback());

  const clients = new Map<string, Promise<Registered>>();
  const register = (req: TokenRequest, name: string): Promise<Registered> => {
    const body = {
      client_name: name,
      grant_types: ["client_credentials"],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic",
      groups: req.groups,
      token_ttl: req.ttlSeconds ?? 300,
      token_issued_seconds_ago: req.issuedSecondsAgo ?? 0,
    };
    const cacheKey = JSON.stringify(body);
    if (!clients.has(cacheKey)) {
      clients.set(cacheKey, (async () => {
        const res = await fetch(`${issuer}/reg`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        if (res.status !== 201) throw new Error(`client registration failed: ${res.status} ${await res.text()}`);
        return (await res.json()) as Registered;
      })());
    }
    return clients.get(cacheKey)!;
  };

  return {
    issuer,
    kid,
    async getToken(req) {
      const name = req.name ?? `svc-${req.groups.join("-") || "nogroups"}`;
      const client = await register(req, name);
      const res = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", resource: req.audience ?? GATEHOUSE_AUDIENCE, scope: "api" }),
      });
      const json = (await res.json()) as { access_token?: string; token_type?: string; error?: string; error_description?: string };
      if (!res.ok || !json.access_token) throw new Error(`token request failed: ${res.status} ${json.error}: ${json.error_description}`);
      return json.access_token;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
