import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import pg from "pg";
import { SignJWT, decodeJwt } from "jose";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { GATEHOUSE_AUDIENCE, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider";
import { auditLog, auditSince, endOf, gatehouseQuery, signIn } from "../support/sign-in";

// The gateway trusts a real OIDC provider started here (see e2e/support/oidc-provider.ts); a second
// real provider plays "some other issuer". Every token below is presented as the psql password.
let t: TestGateway;
let idp: TestOidcProvider;
let otherIdp: TestOidcProvider;

beforeAll(async () => {
  [idp, otherIdp] = await Promise.all([startOidcProvider(), startOidcProvider()]);
  t = await startTestGateway({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: GATEHOUSE_AUDIENCE, OIDC_GROUPS_CLAIM: "groups" });
  await t.setupAccess(); // connection pg-prod, granted to group analysts
});
afterAll(async () => {
  await t?.close();
  await Promise.all([idp?.stop(), otherIdp?.stop()]);
});

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
/** A token with a valid shape and the right iss/aud/groups, but signed by a key the provider never published. */
async function forged(kid: string) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return new SignJWT({ groups: ["analysts"], preferred_username: "mallory" })
    .setProtectedHeader({ alg: "RS256", typ: "at+jwt", kid })
    .setIssuer(idp.issuer)
    .setAudience(GATEHOUSE_AUDIENCE)
    .setSubject("mallory")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(privateKey);
}
const claims = () => ({ iss: idp.issuer, aud: GATEHOUSE_AUDIENCE, sub: "mallory", groups: ["analysts"], iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 });

describe("[IDENTITY][OIDC] access tokens from the configured issuer", () => {
  it("[IDENTITY][OIDC]: a provider-issued token of a client in analysts runs select 1 through pg-prod with psql", async () => {
    const token = await idp.getToken({ groups: ["analysts"] });
    expect(decodeJwt(token)).toMatchObject({ iss: idp.issuer, aud: GATEHOUSE_AUDIENCE, groups: ["analysts"] });
    const r = await t.psql(token, "pg-prod", ["-qAtc", "select 1"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("1");
    expect(r.code).toBe(0);
  });

  it("[IDENTITY][OIDC]: the audit names the token's identity and its groups", async () => {
    const before = await auditLog(t);
    const token = await idp.getToken({ groups: ["analysts", "finance"], name: "reporting-bot" });
    const r = await t.psql(token, "pg-prod", ["-qAtc", "select 'audited' as marker"]);
    expect(r.stdout.trim()).toBe("audited");
    const events = await auditSince(t, before);
    const start = events.find((e) => e.action === "session.start");
    expect(start).toMatchObject({ identityName: "reporting-bot", connectionName: "pg-prod", outcome: "ok" });
    expect([...start!.groups!].sort()).toEqual(["analysts", "finance"]);
    const stmt = events.find((e) => e.statement?.includes("'audited'"));
    expect(stmt).toMatchObject({ identityName: "reporting-bot", sessionId: start!.sessionId });
  });

  it("[IDENTITY][OIDC]: a token whose groups have no grant gets 28000, with the same message as a connection that does not exist", async () => {
    const before = await auditLog(t);
    const marketing = await idp.getToken({ groups: ["marketing"], name: "campaign-bot" });
    const analyst = await idp.getToken({ groups: ["analysts"] });
    const notGranted = await signIn(t, marketing, "pg-prod");
    const missing = await signIn(t, analyst, "pg-nowhere");
    expect(notGranted.code).toBe("28000");
    expect(missing.code).toBe("28000");
    expect(notGranted.message).toBe('connection "pg-prod" does not exist or you are not allowed to use it');
    expect(missing.message).toBe(notGranted.message!.replace("pg-prod", "pg-nowhere"));
    expect(notGranted.psql.stderr).toContain(notGranted.message);
    expect(notGranted.psql.code).toBe(2);
    const events = await auditSince(t, before);
    expect(events.some((e) => e.action === "session.start")).toBe(false);
    expect(events.find((e) => e.identityName === "campaign-bot")).toMatchObject({ action: "session.denied", connectionName: "pg-prod", groups: ["marketing"] });
  });

  it("[IDENTITY][OIDC]: an OIDC token cannot borrow the grants of a local identity that has the same name", async () => {
    const local = await t.setupAccess({ connection: "pg-ops", group: "ops", identity: "ops-bot" });
    expect((await signIn(t, local, "pg-ops")).code).toBeNull(); // the local key itself works
    const impostor = await idp.getToken({ groups: [], name: "ops-bot" });
    const r = await signIn(t, impostor, "pg-ops");
    expect(r.code).toBe("28P01");
    expect(r.message).toMatch(/"ops-bot" belongs to a Gatehouse identity that does not sign in through OIDC/);
    expect(r.psql.code).toBe(2);
  });

  it("[IDENTITY][OIDC]: a live session ends when its access token expires", async () => {
    const token = await idp.getToken({ groups: ["analysts"], ttlSeconds: 3 });
    const client = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "pg-prod", user: "agent", password: token });
    client.on("error", () => {}); // endOf() watches for it
    await client.connect();
    expect((await client.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    const end = await endOf(client, 10_000);
    await client.end().catch(() => {});
    expect(end.how).toBe("error");
    expect(end.error?.message).toMatch(/expired/);
    expect(end.afterMs).toBeLessThan(6_000);
  });
});

describe("[IDENTITY][OIDC] tokens that must be refused before anything reaches the target", () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ["a token for another audience", () => idp.getToken({ groups: ["analysts"], audience: "https://billing.test" }), /was not issued for this gateway/],
    ["an expired token", () => idp.getToken({ groups: ["analysts"], ttlSeconds: 60, issuedSecondsAgo: 180 }), /access token has expired/],
    ["a token that expired 10s ago (inside the allowed clock skew)", () => idp.getToken({ groups: ["analysts"], ttlSeconds: 60, issuedSecondsAgo: 70 }), /access token has expired/],
    ["a forged token (another RSA key, the provider's kid)", () => forged(idp.kid), /signature is not valid/],
    ["a forged token (another RSA key, an unknown kid)", () => forged("attacker-key"), /signature is not valid/],
    ["an unsigned token (alg: none)", async () => `${b64({ alg: "none", typ: "at+jwt" })}.${b64(claims())}.`, /algorithm the gateway does not accept/],
    ["an HMAC token (alg: HS256)", () => new SignJWT(claims()).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("a".repeat(32))), /algorithm the gateway does not accept/],
    ["a malformed token (three dotted parts, not a JWT)", async () => "abc.def.ghi", /malformed/],
    ["a password that is neither a key nor a token", async () => "hunter2 is my password", /neither a Gatehouse key nor an OIDC access token/],
    ["a token from another issuer", () => otherIdp.getToken({ groups: ["analysts"] }), /another issuer|not issued by/],
  ];

  it.each(cases)("[IDENTITY][OIDC]: %s gets 28P01 and a clear message", async (_name, make, expected) => {
    const token = await make();
    const sessions = () => gatehouseQuery(t, "select id from sessions order by id");
    const sessionsBefore = await sessions();
    const before = await auditLog(t);
    const r = await signIn(t, token);
    expect(r.code).toBe("28P01");
    expect(r.severity).toBe("FATAL");
    expect(r.message).toMatch(/^Gatehouse authentication failed: /);
    expect(r.message).toMatch(expected);
    expect(r.message).not.toContain(token); // the secret is never echoed back
    expect(r.psql.code).toBe(2);
    expect(r.psql.stderr).toContain(r.message);
    expect(r.psql.stdout).toBe("");
    // Refused at sign-in: denied in the audit, no session opened, nothing relayed.
    const events = await auditSince(t, before);
    expect(events.map((e) => e.action)).toEqual(["session.denied", "session.denied"]); // node-postgres, then psql
    expect(events[0].message).toBe(r.message!.replace("Gatehouse authentication failed: ", ""));
    expect(await sessions()).toEqual(sessionsBefore);
  });
});
