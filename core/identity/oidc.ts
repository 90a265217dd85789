import { createRemoteJWKSet, decodeJwt, jwtVerify, errors, type JWTPayload } from "jose";
import { AuthError, AuthUnavailableError } from "./identity";

export type OidcSettings = { issuer: string; audience?: string; groupsClaim: string };
export type OidcClaims = { subject: string; name: string; email?: string; groups: string[]; expiresAt?: number };

/**
 * Verifies OIDC access tokens (JWT) against the issuer's published keys. The JWKS location comes from
 * the issuer's discovery document; jose caches the keys and refetches on an unknown key id.
 */
export function createOidcVerifier(settings: OidcSettings) {
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keySet = async () => {
    if (jwks) return jwks;
    const url = settings.issuer.replace(/\/$/, "") + "/.well-known/openid-configuration";
    const res = await fetch(url).catch((e: Error) => {
      throw new AuthUnavailableError(`the identity provider is unreachable (${e.message})`);
    });
    if (!res.ok) throw new AuthUnavailableError(`the identity provider's discovery document answered ${res.status}`);
    const doc = (await res.json()) as { jwks_uri?: string };
    if (!doc.jwks_uri) throw new AuthError("the identity provider publishes no jwks_uri");
    jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
    return jwks;
  };

  return async function verify(token: string): Promise<OidcClaims> {
    let payload: JWTPayload;
    try {
      // Say plainly when a token comes from some other issuer (the signature check alone would only
      // report an unknown key), and do not fetch keys for it. The token's own `iss` is not echoed.
      if (decodeJwt(token).iss !== settings.issuer) {
        throw new AuthError(`the access token was issued by another issuer; this gateway accepts tokens from ${settings.issuer}`);
      }
      ({ payload } = await jwtVerify(token, await keySet(), {
        issuer: settings.issuer,
        audience: settings.audience,
        // Asymmetric algorithms only: never "none", never an HMAC keyed with a public key.
        algorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
        clockTolerance: 30,
      }));
    } catch (err) {
      throw new AuthError(describeJwtError(err));
    }
    // The clock tolerance is for skew on iat/nbf; a token past its exp would get a session that the
    // gateway ends at once (sessions end at exp), after a statement or two had already gone through.
    if (payload.exp !== undefined && payload.exp * 1000 <= Date.now()) throw new AuthError("the access token has expired");
    if (!payload.sub) throw new AuthError("the access token has no subject");
    const raw = payload[settings.groupsClaim];
    const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === "string") : typeof raw === "string" ? raw.split(/[ ,]+/).filter(Boolean) : [];
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    return {
      subject: payload.sub,
      name: str(payload.preferred_username) ?? str(payload.email) ?? payload.sub,
      email: str(payload.email),
      groups,
      expiresAt: payload.exp ? payload.exp * 1000 : undefined,
    };
  };
}

function describeJwtError(err: unknown): string {
  if (err instanceof AuthUnavailableError) throw err;
  if (err instanceof AuthError) return err.message;
  if (err instanceof errors.JWTExpired) return "the access token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `the access token was not issued for this gateway (${err.claim} claim)`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "the access token is signed with an algorithm the gateway does not accept";
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) return "the access token's signature is not valid";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "the access token is malformed";
  return "the access token could not be verified";
}
