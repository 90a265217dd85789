/** The sentence the sign-in page shows for each `?error=Saml...` the ACS route sends back. */
export const SAML_REFUSAL_MESSAGES: Record<string, string> = {
  SamlUnsigned: "The identity provider's answer was not signed, so Gatehouse cannot trust it. Ask your administrator to have the provider sign assertions.",
  SamlBadSignature: "The identity provider's answer failed its signature check: it was changed on the way or signed with a key Gatehouse does not know.",
  SamlExpired: "The identity provider's answer has expired (or the clocks disagree). Sign in again.",
  SamlAudience: "The identity provider's answer was meant for another application, not this console.",
  SamlIssuer: "The answer came from an identity provider this console does not trust.",
  SamlReplayed: "That sign-in answer was already used once. Sign in again.",
  SamlUnsolicited: "That sign-in answer does not match a sign-in started here (or it was already used). Sign in again from this page.",
  SamlNoEmail: "Your identity provider did not send an e-mail address; Gatehouse needs one to know who you are.",
  SamlIdpError: "The identity provider refused the sign-in.",
  SamlMalformed: "The identity provider's answer could not be read.",
  SamlDisabled: "Your account is disabled. Ask a Gatehouse administrator.",
  SamlRefused: "The SAML sign-in could not be completed. Sign in again.",
  SamlUnavailable: "SAML sign-in is not available right now (the identity provider's metadata could not be read); the console's log says why.",
};

/** `bad-signature` → `SamlBadSignature`. */
export function samlErrorCode(reason: string): string {
  return "Saml" + reason.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
