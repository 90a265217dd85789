import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as xmllint from "@authenio/samlify-xmllint-wasm";
import * as samlify from "samlify";
import { generate } from "selfsigned";

// samlify refuses to parse anything until a schema validator is set: the real XSDs, in WASM.
samlify.setSchemaValidator(xmllint);

const REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

export type SamlAccount = { email: string; name: string; groups: string[] };

/** How a response departs from a proper one, for the refusal tests. */
export type ResponseOptions = {
  /** The AuthnRequest it answers (omit: IdP-initiated). */
  inResponseTo?: string;
  audience?: string;
  issuer?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** false: no signature at all. */
  sign?: boolean;
  /** Encrypt the assertion for the SP's certificate (samlify: sign, then encrypt). */
  encrypt?: boolean;
};

export type TestSamlIdp = {
  url: string;
  entityId: string;
  metadataXml: string;
  metadataUrl: string;
  /** The SP this IdP answers, from its metadata XML (the console's /api/saml/metadata). */
  trustServiceProvider: (spMetadataXml: string) => void;
  /** A signed (by default) base64 SAMLResponse for `account`. */
  respond: (account: SamlAccount, options?: ResponseOptions) => Promise<string>;
  /** A signed HTTP-Redirect LogoutRequest to the SP, as an IdP-initiated single logout (also at GET /test/logout-request?email=). */
  logoutRequestUrl: (email: string) => string;
  /** LogoutRequests the SP sent here (SP-initiated single logout), newest last. */
  logoutRequestsSeen: Array<{ nameId: string }>;
  stop: () => Promise<void>;
};

const xmlEscape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A real SAML 2.0 identity provider for the tests, samlify acting as the IdP (signing with its own
 * generated key, validating messages against the SAML XSDs) behind a small HTTP server: metadata,
 * a login page that lists the accounts and auto-posts the chosen one's SAMLResponse to the SP's ACS,
 * and a single-logout endpoint.
 */
export async function startSamlIdp(accounts: Record<string, SamlAccount>): Promise<TestSamlIdp> {
  const pems = await generate([{ name: "commonName", value: "gatehouse-test-idp" }], { keySize: 2048, days: 30, algorithm: "sha256" } as Parameters<typeof generate>[1]);
  const server: Server = createServer((req, res) =>
    handle(req).then(
      (r) => res.writeHead(r.status, r.headers).end(r.body),
      (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`test IdP: ${err.message}`),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entityId = `${url}/metadata`;
  const idpSettings = {
    entityID: entityId,
    privateKey: pems.private,
    signingCert: pems.cert,
    nameIDFormat: [EMAIL_FORMAT],
    singleSignOnService: [{ Binding: REDIRECT, Location: `${url}/sso` }],
    singleLogoutService: [{ Binding: REDIRECT, Location: `${url}/slo` }],
    requestSignatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  };
  const idp = samlify.IdentityProvider(idpSettings);
  const encryptingIdp = samlify.IdentityProvider({ ...idpSettings, isAssertionEncrypted: true });
  let sp: samlify.ServiceProviderInstance | undefined;
  const pending = new Map<string, { requestId: string; relayState: string }>();
  const logoutRequestsSeen: Array<{ nameId: string }> = [];
  const needSp = () => {
    if (!sp) throw new Error("the test IdP has no service provider yet (trustServiceProvider)");
    return sp;
  };

  async function respond(account: SamlAccount, o: ResponseOptions = {}): Promise<string> {
    const target = needSp();
    const now = new Date();
    const notOnOrAfter = (o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
    const id = `_${randomUUID()}`;
    const fill = (template: string) => {
      const values: Record<string, string> = {
        ID: id,
        AssertionID: `_${randomUUID()}`,
        Destination: target.entityMeta.getAssertionConsumerService("post") as string,
        SubjectRecipient: target.entityMeta.getAssertionConsumerService("post") as string,
        Audience: o.audience ?? target.entityMeta.getEntityID(),
        Issuer: o.issuer ?? entityId,
        IssueInstant: now.toISOString(),
        StatusCode: "urn:oasis:names:tc:SAML:2.0:status:Success",
        ConditionsNotBefore: (o.notBefore ?? new Date(now.getTime() - 1000)).toISOString(),
        ConditionsNotOnOrAfter: notOnOrAfter,
        SubjectConfirmationDataNotOnOrAfter: notOnOrAfter,
        NameIDFormat: EMAIL_FORMAT,
        NameID: account.email,
        InResponseTo: o.inResponseTo ?? "",
        AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_session-${randomBytes(6).toString("hex")}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
        AttributeStatement: `<saml:AttributeStatement>${attribute("email", [account.email])}${attribute("displayName", [account.name])}${attribute("groups", account.groups)}</saml:AttributeStatement>`,
      };
      let xml = template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? (k.endsWith("Statement") ? values[k] : xmlEscape(values[k])) : m));
      // No InResponseTo at all for an IdP-initiated response (an empty one is not a valid NCName reference).
      if (!o.inResponseTo) xml = xml.replace(/ InResponseTo=""/g, "");
      return { id, context: xml };
    };
    if (o.sign === false) return Buffer.from(fill(samlify.SamlLib.defaultLoginResponseTemplate.context).context).toString("base64");
    const issuer = o.encrypt ? encryptingIdp : idp;
    const { context } = await issuer.createLoginResponse(target, {} as never, "post", { email: account.email }, { customTagReplacement: fill });
    return context;
  }

  async function handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body?: string }> {
    const u = new URL(req.url ?? "/", url);
    const html = (body: string) => ({ status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: `<!doctype html><html><body>${body}</body></html>` });
    if (u.pathname === "/metadata") return { status: 200, headers: { "content-type": "application/samlmetadata+xml" }, body: idp.getMetadata() };
    if (u.pathname === "/sso" && req.method === "GET") {
      const query = Object.fromEntries(u.searchParams);
      const parsed = await idp.parseLoginRequest(needSp(), "redirect", { query });
      const token = randomBytes(12).toString("hex");
      pending.set(token, { requestId: String(parsed.extract.request?.id), relayState: query.RelayState ?? "" });
      const buttons = Object.keys(accounts)
        .map(
          (login) =>
            `<form method="post" action="/sso/login"><input type="hidden" name="token" value="${token}"><input type="hidden" name="login" value="${login}"><button type="submit">Continue as ${xmlEscape(login)}</button></form>`,
        )
        .join("");
      return html(`<h1>Test SAML IdP</h1>${buttons}`);
    }
    if (u.pathname === "/sso/login" && req.method === "POST") {
      const form = new URLSearchParams(await readBody(req));
      const started = pending.get(form.get("token") ?? "");
      const account = accounts[form.get("login") ?? ""];
      if (!started || !account) return { status: 400, headers: { "content-type": "text/plain" }, body: "unknown sign-in" };
      pending.delete(form.get("token")!);
      const samlResponse = await respond(account, { inResponseTo: started.requestId });
      const acs = needSp().entityMeta.getAssertionConsumerService("post") as string;
      return html(
        `<form method="post" action="${xmlEscape(acs)}"><input type="hidden" name="SAMLResponse" value="${samlResponse}"><input type="hidden" name="RelayState" value="${xmlEscape(started.relayState)}"><noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`,
      );
    }
    if (u.pathname === "/slo" && req.method === "GET") {
      const query = Object.fromEntries(u.searchParams);
      if (query.SAMLResponse) return html("<h1>Signed out at the test SAML IdP</h1>");
      const parsed = await idp.parseLogoutRequest(needSp(), "redirect", { query, octetString: octetString(u, "SAMLRequest") });
      logoutRequestsSeen.push({ nameId: String(parsed.extract.nameID ?? "") });
      const { context } = idp.createLogoutResponse(needSp(), parsed as never, "redirect", query.RelayState ?? "");
      return { status: 302, headers: { location: context }, body: "" };
    }
    if (u.pathname === "/test/logout-request") {
      // The browser tests start an IdP-initiated logout here (the test process cannot reach this object).
      const context = idp.createLogoutRequest(needSp(), "redirect", { logoutNameID: u.searchParams.get("email") ?? "" } as never).context;
      return { status: 302, headers: { location: context }, body: "" };
    }
    return { status: 404, headers: { "content-type": "text/plain" }, body: "not found" };
  }

  return {
    url,
    entityId,
    metadataXml: idp.getMetadata(),
    metadataUrl: `${url}/metadata`,
    trustServiceProvider(spMetadataXml) {
      sp = samlify.ServiceProvider({ metadata: spMetadataXml, wantLogoutRequestSigned: true, wantLogoutResponseSigned: true });
    },
    respond,
    logoutRequestUrl(email) {
      return idp.createLogoutRequest(needSp(), "redirect", { logoutNameID: email } as never).context;
    },
    logoutRequestsSeen,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function attribute(name: string, values: string[]): string {
  const v = values.map((x) => `<saml:AttributeValue xsi:type="xs:string">${xmlEscape(x)}</saml:AttributeValue>`).join("");
  return `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${v}</saml:Attribute>`;
}

/** The signed part of a redirect-binding query, exactly as sent (samlify verifies the signature over it). */
function octetString(u: URL, param: string): string {
  const raw = u.search.slice(1).split("&");
  const pick = (k: string) => raw.find((p) => p.startsWith(`${k}=`));
  return [pick(param), pick("RelayState"), pick("SigAlg")].filter(Boolean).join("&");
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}
