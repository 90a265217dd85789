import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inflateRawSync } from "node:zlib";
import { and, eq } from "drizzle-orm";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "../../../drizzle/client";
import { auditEvents, consoleUsers } from "../../../drizzle/schema/index";
import { startSamlIdp, type TestSamlIdp } from "../../../e2e/support/saml-idp";
import type { SamlSettings } from "../../env";
import { completeSamlSignIn } from "./complete-saml-sign-in";
import { parseIdpMetadata } from "./idp-metadata";
import { createSamlClient, spMetadataXml, type SamlClient } from "./saml-client";
import { redeemSignInTicket } from "./sign-in-ticket";
import { validateSamlResponse } from "./validate-saml-response";
import { freshDatabase } from "../../../e2e/support/fresh-database";

// The marker throws outside Next's server bundle; these domain functions are server code all the same.
vi.mock("server-only", () => ({}));

// The ACS checks against a real SAML IdP (samlify, XSD-validated), on a fresh database in the run's private PostgreSQL.
const ACCOUNTS = {
  olivia: { email: "olivia@example.com", name: "Olivia Okafor", groups: ["gh-admins", "engineering"] },
  mo: { email: "mo@example.com", name: "Mo Member", groups: ["engineering"] },
};
let handle: DbHandle;
let idp: TestSamlIdp;
let client: SamlClient;
let dir: string;
const ticketKey = randomBytes(32);
const roleGroups = { admin: ["gh-admins"], approver: [], auditor: [] };
const settings = (over: Partial<SamlSettings> = {}): SamlSettings => ({
  metadata: { url: "unused" },
  displayName: "Test IdP",
  spEntityId: "https://console.test/api/saml/metadata",
  acsUrl: "https://console.test/api/saml/acs",
  sloUrl: "https://console.test/api/saml/slo",
  groupsAttribute: "groups",
  nameAttribute: "displayName",
  clockSkewMs: 60_000,
  allowIdpInitiated: false,
  ...over,
});

/** Starts a sign-in as the login route does; the AuthnRequest's ID, which the IdP's answer must name. */
async function startSignIn(c: SamlClient = client): Promise<string> {
  const url = new URL(await c.saml.getAuthorizeUrlAsync("/", undefined, {}));
  const xml = inflateRawSync(Buffer.from(url.searchParams.get("SAMLRequest")!, "base64")).toString();
  return /\sID="([^"]+)"/.exec(xml)![1];
}
const deps = () => ({ db: handle.db, client, roleGroups, ticketKey });
const lastAudit = async () => (await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "console.sign_in"))).at(-1);

beforeAll(async () => {
  process.env.GATEHOUSE_SECRET_KEY ??= randomBytes(32).toString("hex");
  handle = await freshDatabase(3);
  dir = mkdtempSync(path.join(tmpdir(), "gatehouse-saml-"));
  idp = await startSamlIdp(ACCOUNTS);
  client = createSamlClient(settings(), parseIdpMetadata(idp.metadataXml), handle.db);
  idp.trustServiceProvider(spMetadataXml(client));
});
afterAll(async () => {
  await idp?.stop();
  await handle?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("SAML sign-in (ACS)", () => {
  it("signs a person in from a signed assertion: groups stored, the admin group gives admin, a one-time ticket, audited", async () => {
    const outcome = await completeSamlSignIn(deps(), await idp.respond(ACCOUNTS.olivia, { inResponseTo: await startSignIn() }));
    expect(outcome).toMatchObject({ ok: true, email: "olivia@example.com" });
    const [user] = await handle.db.select().from(consoleUsers).where(eq(consoleUsers.email, "olivia@example.com"));
    expect(user).toMatchObject({ role: "admin", source: "saml", name: "Olivia Okafor", groups: ["gh-admins", "engineering"] });
    expect(await lastAudit()).toMatchObject({ outcome: "ok", identityName: "olivia@example.com", message: expect.stringContaining("signed in through SAML") });

    const ticket = outcome.ok ? outcome.ticket : "";
    expect(await redeemSignInTicket(ticketKey, handle.db, ticket)).toMatchObject({ userId: user.id, nameId: "olivia@example.com", sessionIndex: expect.stringMatching(/^_session-/) });
    expect(await redeemSignInTicket(ticketKey, handle.db, ticket), "a ticket is good once").toBeUndefined();
    expect(await redeemSignInTicket(randomBytes(32), handle.db, ticket), "and only with the console's key").toBeUndefined();
  });

  it("makes a member of someone outside the mapped groups", async () => {
    const outcome = await completeSamlSignIn(deps(), await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn() }));
    expect(outcome.ok).toBe(true);
    const [user] = await handle.db.select().from(consoleUsers).where(eq(consoleUsers.email, "mo@example.com"));
    expect(user).toMatchObject({ role: "member", groups: ["engineering"] });
  });

  it("refuses an assertion whose attribute was changed after signing", async () => {
    const signed = Buffer.from(await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn() }), "base64").toString();
    const tampered = signed.replace(">engineering<", ">gh-admins<");
    expect(tampered).not.toBe(signed);
    const outcome = await completeSamlSignIn(deps(), Buffer.from(tampered).toString("base64"));
    expect(outcome).toEqual({ ok: false, reason: "bad-signature" });
    expect(await lastAudit()).toMatchObject({ outcome: "denied", message: expect.stringContaining("SAML sign-in refused (bad-signature)") });
    const [user] = await handle.db.select().from(consoleUsers).where(eq(consoleUsers.email, "mo@example.com"));
    expect(user.role).toBe("member");
  });

  it("refuses a response posted a second time", async () => {
    const response = await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn() });
    expect((await completeSamlSignIn(deps(), response)).ok).toBe(true);
    expect(await completeSamlSignIn(deps(), response)).toEqual({ ok: false, reason: "replayed" });
    expect(await lastAudit()).toMatchObject({ outcome: "denied", message: expect.stringContaining("already used") });
  });

  it("refuses a replayed IdP-initiated response by its assertion ID, when IdP-initiated sign-in is allowed at all", async () => {
    const response = await idp.respond(ACCOUNTS.mo);
    expect(await validateSamlResponse(client, handle.db, response), "unasked responses are refused by default").toMatchObject({ ok: false, reason: "unsolicited" });
    const open = createSamlClient(settings({ allowIdpInitiated: true }), parseIdpMetadata(idp.metadataXml), handle.db);
    expect(await validateSamlResponse(open, handle.db, response)).toMatchObject({ ok: true, person: { email: "mo@example.com" } });
    expect(await validateSamlResponse(open, handle.db, response)).toMatchObject({ ok: false, reason: "replayed" });
  });

  it("refuses an expired response, and accepts one within the clock skew", async () => {
    const expired = await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn(), notOnOrAfter: new Date(Date.now() - 5 * 60_000) });
    expect(await validateSamlResponse(client, handle.db, expired)).toMatchObject({ ok: false, reason: "expired" });
    const justLate = await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn(), notOnOrAfter: new Date(Date.now() - 20_000) });
    expect(await validateSamlResponse(client, handle.db, justLate)).toMatchObject({ ok: true });
  });

  it("refuses a response for another audience, from another issuer, and one that is not signed", async () => {
    const otherAudience = await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn(), audience: "https://another-app.example" });
    expect(await validateSamlResponse(client, handle.db, otherAudience)).toMatchObject({ ok: false, reason: "audience", detail: expect.stringContaining("another-app") });
    const otherIssuer = await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn(), issuer: "https://someone-else.example" });
    expect(await validateSamlResponse(client, handle.db, otherIssuer)).toMatchObject({ ok: false, reason: "issuer" });
    const unsigned = await idp.respond(ACCOUNTS.olivia, { inResponseTo: await startSignIn(), sign: false });
    expect(await completeSamlSignIn(deps(), unsigned)).toEqual({ ok: false, reason: "unsigned" });
    expect(await validateSamlResponse(client, handle.db, "not base64 XML at all")).toMatchObject({ ok: false });
  });

  it("accepts an encrypted assertion when the console has a decryption key", async () => {
    const pems = await generate([{ name: "commonName", value: "gatehouse-console" }], { keySize: 2048, days: 30, algorithm: "sha256" } as Parameters<typeof generate>[1]);
    writeFileSync(path.join(dir, "sp.key"), pems.private);
    writeFileSync(path.join(dir, "sp.crt"), pems.cert);
    const keyed = createSamlClient(settings({ spKeyFile: path.join(dir, "sp.key"), spCertFile: path.join(dir, "sp.crt") }), parseIdpMetadata(idp.metadataXml), handle.db);
    idp.trustServiceProvider(spMetadataXml(keyed));
    try {
      const response = await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn(keyed), encrypt: true });
      expect(Buffer.from(response, "base64").toString()).toContain("EncryptedAssertion");
      expect(await validateSamlResponse(keyed, handle.db, response)).toMatchObject({ ok: true, person: { email: "mo@example.com", groups: ["engineering"] } });
      const withoutKey = await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn(), encrypt: true });
      expect(await validateSamlResponse(client, handle.db, withoutKey)).toMatchObject({ ok: false });
    } finally {
      idp.trustServiceProvider(spMetadataXml(client));
    }
  });

  it("refuses a disabled account, and says so in the audit log", async () => {
    await handle.db.update(consoleUsers).set({ disabledAt: new Date() }).where(eq(consoleUsers.email, "mo@example.com"));
    expect(await completeSamlSignIn(deps(), await idp.respond(ACCOUNTS.mo, { inResponseTo: await startSignIn() }))).toEqual({ ok: false, reason: "disabled" });
    const [event] = await handle.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.identityName, "mo@example.com"), eq(auditEvents.outcome, "denied")));
    expect(event.message).toBe("SAML sign-in refused: the account is disabled");
  });
});

describe("SAML metadata", () => {
  it("publishes the ACS (HTTP-POST) and single logout (HTTP-Redirect) the console serves, and reads the IdP's", () => {
    const xml = spMetadataXml(client);
    expect(xml).toMatch(/<AssertionConsumerService[^>]*HTTP-POST[^>]*https:\/\/console\.test\/api\/saml\/acs/);
    expect(xml).toMatch(/<SingleLogoutService[^>]*HTTP-Redirect[^>]*https:\/\/console\.test\/api\/saml\/slo/);
    expect(parseIdpMetadata(idp.metadataXml)).toMatchObject({ entityId: idp.entityId, ssoUrl: `${idp.url}/sso`, sloUrl: `${idp.url}/slo`, signingCerts: [expect.any(String)] });
    expect(() => parseIdpMetadata("<nope/>")).toThrow(/no IDPSSODescriptor/);
  });
});
