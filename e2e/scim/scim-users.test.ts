import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { GATEHOUSE_AUDIENCE, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider";
import { gatehouseQuery, signIn } from "../support/sign-in";
import { issueKey } from "../../core/identity/manage-keys";
import { addConsoleUser, verifyLocalSignIn } from "../../core/users/console-users";
import { expectScimError, oktaUser, SCIM_CT, scimClient } from "./scim-support";

// An IdP's SCIM client (the JSON Okta and Entra ID send) against the console's SCIM handler, and the
// person's real clients against the gateway: psql with their key, with their OIDC access token.
let t: TestGateway;
let idp: TestOidcProvider;
let token: string;
let scim: ReturnType<typeof scimClient>;
const DANA = "dana@example.com";
const PASSWORD = "correct horse battery staple 7";

beforeAll(async () => {
  idp = await startOidcProvider();
  t = await startTestGateway({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: GATEHOUSE_AUDIENCE, OIDC_GROUPS_CLAIM: "groups" });
  await t.setupAccess(); // pg-prod granted to analysts
  const issued = await t.cli("scim", "token", "issue", "okta");
  expect(issued.code).toBe(0);
  token = issued.stdout.trim();
  scim = scimClient(t, token);
});
afterAll(async () => {
  await t?.close();
  await idp?.stop();
});

const connect = async (password: string) => {
  const c = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "pg-prod", user: "dana", password });
  c.on("error", () => {});
  await c.connect();
  return c;
};

describe("[SCIM] users", () => {
  let id: string;
  let key: string;

  it("[SCIM]: the token is printed once and stored hashed; list shows it live", async () => {
    expect(token).toMatch(/^ghscim_[A-Za-z0-9_-]{43}$/);
    const rows = await gatehouseQuery<{ hash: string }>(t, "select hash from scim_tokens where name = 'okta'");
    expect(rows[0].hash).not.toContain(token);
    const list = await t.cli("scim", "token", "list");
    expect(list.stdout).toMatch(/^okta\tghscim_\S*…\tlive/);
  });

  it("[SCIM]: an IdP looks the user up by userName, finds none, and creates them: console account and OIDC identity", async () => {
    await addConsoleUser(t.gw.deps.db, { email: DANA, role: "member", password: PASSWORD }); // she had a local account already
    const none = await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${DANA}"`)}&startIndex=1&count=100`);
    expect(none.status).toBe(200);
    expect(none.type).toBe(SCIM_CT);
    expect(none.body).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const created = await scim("POST", "/Users", oktaUser(DANA));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userName: DANA, active: true, externalId: "00u1abcd", emails: [{ value: DANA, primary: true }], meta: { resourceType: "User" } });
    expect(created.body).not.toHaveProperty("password");
    id = created.body.id;
    const found = await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "Dana@Example.com"`)}`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].id).toBe(id);
    expect((await scim("GET", `/Users/${id}`)).body.meta.location).toBe(`https://console.example.com/scim/v2/Users/${id}`);
    const [person] = await gatehouseQuery<{ identity: string; source: string }>(
      t,
      "select i.name as identity, i.source from console_users u join identities i on i.id = u.identity_id where u.email = $1",
      [DANA],
    );
    expect(person).toEqual({ identity: DANA, source: "oidc" });
    // Her key belongs to that identity.
    key = (await issueKey(t.gw.deps.db, { identity: DANA, groups: ["analysts"], kind: "person" })).key;
    expect((await t.psql(key, "pg-prod", ["-qAtc", "select 'key works'"])).stdout.trim()).toBe("key works");
    const oidc = await idp.getToken({ groups: ["analysts"], name: DANA });
    expect((await t.psql(oidc, "pg-prod", ["-qAtc", "select 'token works'"])).stdout.trim()).toBe("token works");
  });

  it("[SCIM]: a second POST of the same userName is a 409 uniqueness error", async () => {
    const r = await scim("POST", "/Users", oktaUser(DANA));
    expectScimError(r, 409);
    expect(r.body.scimType).toBe("uniqueness");
  });

  it("[SCIM]: PATCH active:false (Okta's form) ends her live psql session with a FATAL, refuses her key, her OIDC token and her console account", async () => {
    const oidc = await idp.getToken({ groups: ["analysts"], name: DANA });
    const live = t.psql(key, "pg-prod", ["-qAtc", "select pg_sleep(30)"]);
    const liveOidc = await connect(oidc);
    // Listened for before the PATCH: the bus brings the end within milliseconds.
    const oidcEnd = new Promise<string>((resolve) => liveOidc.once("error", (e) => resolve(e.message)));
    await new Promise((r) => setTimeout(r, 700)); // both sessions are running
    const started = Date.now();
    const r = await scim("PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] });
    expect(r.status).toBe(200);
    expect(r.body.active).toBe(false);
    const ended = await live;
    const tookMs = Date.now() - started;
    expect(ended.code).not.toBe(0);
    expect(ended.stderr).toMatch(/FATAL:.*this person was deactivated by the identity provider \(SCIM\)/);
    expect(tookMs).toBeLessThan(10_000); // milliseconds with NOTIFY; the bound is for a loaded machine
    expect(await oidcEnd).toMatch(/deactivated by the identity provider/);
    await liveOidc.end().catch(() => {});

    const withKey = await signIn(t, key);
    expect(withKey.code).toBe("28P01");
    expect(withKey.message).toMatch(/revoked/);
    const withToken = await signIn(t, await idp.getToken({ groups: ["analysts"], name: DANA }));
    expect(withToken.code).toBe("28P01");
    expect(withToken.message).toMatch(/this person has been deactivated by the identity provider \(SCIM\)/);
    // The console: the account is disabled (current-user refuses a session cookie of a disabled account) and local sign-in refused.
    const [account] = await gatehouseQuery<{ disabled: boolean }>(t, "select disabled_at is not null as disabled from console_users where email = $1", [DANA]);
    expect(account.disabled).toBe(true);
    expect(await verifyLocalSignIn(t.gw.deps.db, DANA, PASSWORD)).toBeUndefined();
    const audit = await gatehouseQuery<{ action: string; identity_name: string; message: string }>(
      t,
      "select action, identity_name, message from audit_events where instance = 'gatehouse:console' and action = 'console.scim.user.deactivate'",
    );
    expect(audit).toEqual([{ action: "console.scim.user.deactivate", identity_name: "scim:okta", message: expect.stringMatching(/1 key\(s\) revoked and live sessions ended/) }]);
  });

  it("[SCIM]: reactivation (Entra's form, a string value) re-enables the console account; the key stays revoked; tokens work again", async () => {
    const r = await scim("PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "Replace", path: "active", value: "True" }] });
    expect(r.status).toBe(200);
    expect(r.body.active).toBe(true);
    expect(await verifyLocalSignIn(t.gw.deps.db, DANA, PASSWORD)).toMatchObject({ email: DANA });
    expect((await signIn(t, key)).message).toMatch(/revoked/);
    const oidc = await idp.getToken({ groups: ["analysts"], name: DANA });
    expect((await t.psql(oidc, "pg-prod", ["-qAtc", "select 'back'"])).stdout.trim()).toBe("back");
  });

  it("[SCIM]: PATCH with path active and a boolean, PUT replace, then DELETE: gone from GET, tokens refused", async () => {
    const off = await scim("PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] });
    expect(off.body.active).toBe(false);
    const put = await scim("PUT", `/Users/${id}`, oktaUser(DANA, { displayName: "Dana K. Scully", active: true }));
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: "Dana K. Scully", active: true });
    const del = await scim("DELETE", `/Users/${id}`);
    expect(del.status).toBe(204);
    expectScimError(await scim("GET", `/Users/${id}`), 404);
    expect((await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${DANA}"`)}`)).body.totalResults).toBe(0);
    expect((await signIn(t, await idp.getToken({ groups: ["analysts"], name: DANA }))).code).toBe("28P01");
  });

  it("[SCIM]: a person deprovisioned before their first token is refused at that first token", async () => {
    const created = await scim("POST", "/Users", oktaUser("fox@example.com", { active: false, externalId: "00u2" }));
    expect(created.status).toBe(201);
    const r = await signIn(t, await idp.getToken({ groups: ["analysts"], name: "fox@example.com" }));
    expect(r.code).toBe("28P01");
  });
});

describe("[SCIM] refusals", () => {
  it("[SCIM]: no token, a wrong token and a revoked token get 401 with a SCIM error", async () => {
    expectScimError(await scim("GET", "/Users", undefined, { token: "ghscim_" + "x".repeat(43) }), 401);
    const noAuth = await scim("GET", "/Users", undefined, { token: "" });
    expectScimError(noAuth, 401);
    expect(noAuth.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const spare = (await t.cli("scim", "token", "issue", "spare")).stdout.trim();
    expect((await scim("GET", "/ServiceProviderConfig", undefined, { token: spare })).status).toBe(200);
    expect((await t.cli("scim", "token", "revoke", "spare")).code).toBe(0);
    expectScimError(await scim("GET", "/ServiceProviderConfig", undefined, { token: spare }), 401);
  });

  it("[SCIM]: malformed bodies and filters get 400 with a SCIM error", async () => {
    expectScimError(await scim("POST", "/Users", undefined, { raw: '{"userName": "x@y.z",' }), 400);
    expectScimError(await scim("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"] }), 400);
    expectScimError(await scim("POST", "/Users", oktaUser("bad@example.com", { active: "maybe" })), 400);
    const filter = await scim("GET", `/Users?filter=${encodeURIComponent('userName sw "d"')}`);
    expectScimError(filter, 400);
    expect(filter.body.scimType).toBe("invalidFilter");
    const users = await scim("GET", "/Users");
    const someone = users.body.Resources[0].id;
    expectScimError(await scim("PATCH", `/Users/${someone}`, { Operations: "replace" }), 400);
    expectScimError(await scim("PATCH", `/Users/${someone}`, { Operations: [{ op: "frobnicate", path: "active", value: false }] }), 400);
    expectScimError(await scim("GET", "/Users/not-a-uuid"), 404);
    expectScimError(await scim("GET", "/Widgets"), 404);
  });

  it("[SCIM]: discovery endpoints describe what is supported", async () => {
    const spc = await scim("GET", "/ServiceProviderConfig");
    expect(spc.body).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true } });
    const types = await scim("GET", "/ResourceTypes");
    expect(types.body.Resources.map((r: { name: string }) => r.name)).toEqual(["User", "Group"]);
    const schemas = await scim("GET", "/Schemas");
    expect(schemas.body.totalResults).toBe(2);
    expect((await scim("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).body.name).toBe("User");
  });
});
