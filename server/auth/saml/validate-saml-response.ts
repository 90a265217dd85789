import { SamlStatusError, type Profile } from "@node-saml/node-saml";
import type { Db } from "../../../drizzle/client";
import { readGroupsAttribute } from "../role-from-groups";
import { isRemembered, rememberOnce } from "./message-id-store";
import type { SamlClient } from "./saml-client";
import { REQUEST_TTL_MS } from "./saml-client";

/** Who the provider vouched for, read from a signed, current assertion meant for this console. */
export type SamlPerson = {
  email: string;
  name?: string;
  groups: string[];
  nameId: string;
  nameIdFormat: string;
  sessionIndex?: string;
  issuer: string;
  assertionId: string;
};

/** Why a response was refused; each has a sentence on the sign-in page (refusal-messages.ts). */
export type SamlRefusal = "unsigned" | "bad-signature" | "expired" | "audience" | "issuer" | "replayed" | "unsolicited" | "no-email" | "idp-error" | "malformed";

export type SamlValidation = { ok: true; person: SamlPerson } | { ok: false; reason: SamlRefusal; detail: string };

const refuse = (reason: SamlRefusal, detail: string): SamlValidation => ({ ok: false, reason, detail });

/**
 * The ACS check: node-saml verifies the XML signature of the assertion against the provider's
 * certificates from its metadata (signed assertions required; an encrypted one is decrypted with the
 * console's key first), the time conditions with the allowed clock skew, the audience, and that
 * InResponseTo names a request this console made and has not seen answered. Then the issuer must
 * be the provider's entity ID, and the assertion ID is recorded until it expires so that the same
 * assertion is refused the second time, on any console instance.
 */
export async function validateSamlResponse(client: SamlClient, db: Db, samlResponse: unknown): Promise<SamlValidation> {
  if (typeof samlResponse !== "string" || !samlResponse || samlResponse.length > 512 * 1024) return refuse("malformed", "no SAMLResponse in the form");
  const xml = Buffer.from(samlResponse, "base64").toString("utf8");
  let profile: Profile | null;
  try {
    ({ profile } = await client.saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (err) {
    return classify(err, xml, db);
  }
  if (!profile) return refuse("idp-error", "the provider answered without an assertion");
  if (profile.issuer !== client.idp.entityId) return refuse("issuer", `the assertion's issuer is ${JSON.stringify(profile.issuer)}, not ${client.idp.entityId}`);

  const assertion = (profile.getAssertion?.() as { Assertion?: AssertionXmlJs } | undefined)?.Assertion;
  const assertionId = assertion?.$?.ID;
  if (!assertionId) return refuse("malformed", "the assertion has no ID");
  const expiresAt = new Date(latestNotOnOrAfter(assertion) + client.settings.clockSkewMs);
  if (!(await rememberOnce(db, "assertion", assertionId, expiresAt))) return refuse("replayed", `assertion ${assertionId} was already used to sign in`);

  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const email = emailOf(profile, attributes, client.settings.emailAttribute);
  if (!email) return refuse("no-email", "the assertion carries no e-mail address (attribute or NameID)");
  const name = firstString(attributes[client.settings.nameAttribute]);
  return {
    ok: true,
    person: {
      email,
      name,
      groups: readGroupsAttribute(attributes[client.settings.groupsAttribute]),
      nameId: profile.nameID,
      nameIdFormat: profile.nameIDFormat,
      sessionIndex: profile.sessionIndex,
      issuer: profile.issuer,
      assertionId,
    },
  };
}

type AssertionXmlJs = {
  $?: { ID?: string };
  Conditions?: Array<{ $?: { NotOnOrAfter?: string } }>;
  Subject?: Array<{ SubjectConfirmation?: Array<{ SubjectConfirmationData?: Array<{ $?: { NotOnOrAfter?: string } }> }> }>;
};

/** The last moment the assertion could be accepted: the latest of its NotOnOrAfter times (else the request lifetime from now). */
function latestNotOnOrAfter(assertion: AssertionXmlJs): number {
  const times = [assertion.Conditions?.[0]?.$?.NotOnOrAfter, ...(assertion.Subject?.[0]?.SubjectConfirmation ?? []).map((c) => c.SubjectConfirmationData?.[0]?.$?.NotOnOrAfter)]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter((t) => Number.isFinite(t));
  return times.length ? Math.max(...times) : Date.now() + REQUEST_TTL_MS;
}

function firstString(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
function emailOf(profile: Profile, attributes: Record<string, unknown>, attribute: string | undefined): string | undefined {
  const candidates = attribute ? [attributes[attribute]] : [profile.email, profile.mail, profile.nameID];
  return candidates.map(firstString).find((v): v is string => Boolean(v && EMAIL.test(v)));
}

/** node-saml's errors, sorted into the reasons a person is shown. */
async function classify(err: unknown, xml: string, db: Db): Promise<SamlValidation> {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof SamlStatusError) return refuse("idp-error", message);
  if (/signature|Cannot obtain assertion/i.test(message)) {
    return /<(\w+:)?Signature[\s>]/.test(xml) ? refuse("bad-signature", message) : refuse("unsigned", message);
  }
  if (/expired|not yet valid|No valid subject confirmation/i.test(message)) return refuse("expired", message);
  if (/audience/i.test(message)) return refuse("audience", message);
  if (/InResponseTo/i.test(message)) {
    // Only to pick the sentence: an answer already used is reported as a replay.
    const claimedId = /<(?:\w+:)?Assertion\b[^>]*\sID="([^"]{1,200})"/.exec(xml)?.[1];
    if (claimedId && (await isRemembered(db, "assertion", claimedId))) return refuse("replayed", `${message} (assertion ${claimedId} was already used)`);
    return refuse("unsolicited", message);
  }
  return refuse("malformed", message);
}
