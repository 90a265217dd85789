/** Who is asking, however they proved it. */
export type Identity = {
  id: string | null;
  name: string;
  groups: string[];
  source: "key" | "oidc";
  keyId?: string;
  /** When the credential stops being valid (epoch ms); live sessions end then. */
  expiresAt?: number;
};

/** A refusal with a message a person can act on; never says which part of a secret was wrong. */
export class AuthError extends Error {}

/** The token could not be checked because a dependency (the identity provider) is down; the token itself may be fine. */
export class AuthUnavailableError extends AuthError {}
