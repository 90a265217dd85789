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

/** A web application that signs people in (the console): authorization code flow with PKCE. */
export type WebClient = { clientId: string; clientSecret: string; redirectUri: string };
/** People who can sign in on the provider's own login page, by login name. */
export type TestAccounts = Record<string, { email: string; name: string; groups: string[] }>;

/**
 * With `web`, the provider also serves its built-in login and consent pages (oidc-provider's
 * "dev interactions": any password is accepted for a login listed in `accounts`, which is all a
 * test needs of an IdP) and issues ID tokens carrying email, name and groups.
 */
export async function startOidcProvider(web?: { clients: WebClient[]; accounts: TestAccounts }): Promise<TestOidcProvider> {
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
    clients: (web?.clients ?? []).map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [c.redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    })),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    // Put the scope's claims into the ID token itself, as many IdPs do, so the console needs no userinfo call.
    conformIdTokenClaims: false,
    async findAccount(_ctx: unknown, sub: string) {
      const account = web?.accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: account.email, email_verified: true, name: account.name, groups: account.groups }) };
    },
    extraClientMetadata: { properties: ["groups", "token_ttl", "token_issued_seconds_ago"] },
    features: {
      devInteractions: { enabled: Boolean(web) },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Service accounts get JWT access tokens for Gatehouse; the console's sign-in needs only an ID token.
        defaultResource: (_ctx: unknown, client: { grantTypes?: string[] }) => (client.grantTypes?.includes("client_credentials") ? GATEHOUSE_AUDIENCE : undefined),
        // Any https resource is a known API here; each gets signed JWT access tokens.
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!resource.startsWith("https://")) throw new Provider.errors.InvalidTarget();
          return { scope: "api", audience: resource, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } };
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx: unknown, _token: unknown, client: unknown) => Number(meta(client, "token_ttl") ?? 300),
      Session: 3600,
      Grant: 3600,
      Interaction: 600,
      AccessToken: 300,
      IdToken: 300,
      AuthorizationCode: 60,
    },
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
  // The provider's error responses are generic on purpose; its events say why (set GATEHOUSE_TEST_LOG to see them).
  if (process.env.GATEHOUSE_TEST_LOG) {
    for (const event of ["grant.error", "server_error", "authorization.error"]) {
      provider.on(event, (ctx: { oidc?: { params?: { redirect_uri?: unknown } } }, err: { message?: string; error_detail?: string }) =>
        console.error(`[test idp] ${event}: ${err.message} ${err.error_detail ?? ""} (redirect_uri ${String(ctx.oidc?.params?.redirect_uri)})`),
      );
    }
  }

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
      clients.set(
        cacheKey,
        (async () => {
          const res = await fetch(`${issuer}/reg`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          if (res.status !== 201) throw new Error(`client registration failed: ${res.status} ${await res.text()}`);
          return (await res.json()) as Registered;
        })(),
      );
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
