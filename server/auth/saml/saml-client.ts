import { readFileSync } from "node:fs";
import { SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import type { Db } from "../../../drizzle/client";
import type { SamlSettings } from "../../env";
import { loadIdpMetadata, type IdpMetadata } from "./idp-metadata";
import { databaseRequestCache } from "./message-id-store";

/** An AuthnRequest may be answered for this long. */
export const REQUEST_TTL_MS = 10 * 60_000;

export type SamlClient = { saml: SAML; idp: IdpMetadata; settings: SamlSettings; spCert?: string };

const pem = (base64Der: string) => `-----BEGIN CERTIFICATE-----\n${base64Der.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----`;

/** node-saml set up for this console and provider: signed assertions required, the audience, clock skew and request cache ours. */
export function createSamlClient(settings: SamlSettings, idp: IdpMetadata, db: Db): SamlClient {
  const spKey = settings.spKeyFile ? readFileSync(settings.spKeyFile, "utf8") : undefined;
  const spCert = settings.spCertFile ? readFileSync(settings.spCertFile, "utf8") : undefined;
  const saml = new SAML({
    issuer: settings.spEntityId,
    callbackUrl: settings.acsUrl,
    logoutCallbackUrl: settings.sloUrl,
    entryPoint: idp.ssoUrl,
    logoutUrl: idp.sloUrl ?? idp.ssoUrl,
    idpCert: idp.signingCerts.map(pem),
    idpIssuer: idp.entityId,
    audience: settings.spEntityId,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: settings.clockSkewMs,
    maxAssertionAgeMs: 0,
    validateInResponseTo: settings.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    cacheProvider: databaseRequestCache(db, REQUEST_TTL_MS),
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    signatureAlgorithm: "sha256",
    digestAlgorithm: "sha256",
    ...(spKey ? { privateKey: spKey, decryptionPvk: spKey } : {}),
  });
  return { saml, idp, settings, spCert };
}

/** The console's SP metadata: entity ID, ACS (HTTP-POST), SLO, and its certificate when it has a key pair. */
export function spMetadataXml(client: SamlClient): string {
  const xml = client.saml.generateServiceProviderMetadata(client.spCert ?? null, client.spCert ?? null);
  // node-saml advertises single logout by HTTP-POST; /api/saml/slo speaks HTTP-Redirect (a POST would come without the session cookie).
  return xml.replace(/<SingleLogoutService\b[^>]*>/, (tag) => tag.replace("bindings:HTTP-POST", "bindings:HTTP-Redirect"));
}

const cache = globalThis as unknown as { gatehouseSaml?: { client: Promise<SamlClient>; loadedAt: number } };
/** The provider's metadata is read again after this long (a rotated certificate is picked up). */
const METADATA_TTL_MS = 10 * 60_000;

/** The process's client, its metadata loaded at first use and refreshed every 10 minutes. */
export function samlClient(settings: SamlSettings, db: Db): Promise<SamlClient> {
  const cached = cache.gatehouseSaml;
  if (cached && Date.now() - cached.loadedAt < METADATA_TTL_MS) return cached.client;
  const client = loadIdpMetadata(settings.metadata).then((idp) => createSamlClient(settings, idp, db));
  // A failed load is not kept: the next sign-in tries again.
  client.catch(() => {
    if (cache.gatehouseSaml?.client === client) cache.gatehouseSaml = undefined;
  });
  cache.gatehouseSaml = { client, loadedAt: Date.now() };
  return client;
}
