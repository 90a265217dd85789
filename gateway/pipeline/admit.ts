import { InvalidStoredRules, STORED_RULES_HINT } from "../../core/config/invalid-stored";
import type { GatewayDeps } from "../gateway-deps";
import { authenticate, recordKeyUse } from "../../core/identity/authenticate";
import { AuthError, AuthUnavailableError, type Identity } from "../../core/identity/identity";
import { resolveConnection, type ResolvedConnection } from "../../core/access/resolve-connection";
import { KEY_PREFIX_LENGTH, looksLikeKey } from "../../core/identity/keys";
import type { Claim } from "./auth-throttle";
import { parseConnectionSettings } from "../../core/connections/registry";

/**
 * Why a client was not let in, in words every adapter renders natively (a Postgres ErrorResponse
 * with an SQLSTATE, an SSH authentication failure or `gatehouse: ...` with exit 255, an HTTP
 * 401/403/503, an MCP error):
 * - unauthenticated: no, a malformed, expired, revoked or forged credential (28P01, 401);
 * - auth-unavailable: the credential could not be checked (the identity provider is down) (57P03, 503);
 * - forbidden: the connection does not exist, is not of a type this listener serves, or the identity
 *   may not use it; all alike, so that names do not leak (28000, 403);
 * - unavailable: the gateway cannot read its own configuration right now (57P03, 503).
 */
export type RefusalReason = "unauthenticated" | "auth-unavailable" | "forbidden" | "unavailable";
export type Refusal = { reason: RefusalReason; message: string; hint?: string };

export type Admission = {
  identity: Identity;
  connection: ResolvedConnection;
  /** When the credential was checked (a revocation since then still ends the session). */
  authenticatedAt: number;
};

export type AdmitRequest = {
  /** The adapter asking ("postgres", "ssh", "terminal"...), for the audit. */
  protocol: string;
  clientAddr: string | null;
  connectionName: string;
  /** Which connections the asking listener serves (a connection of another type is refused as forbidden). */
  serves: (connectionType: string) => boolean;
  /** How the refusal of a connection names what this listener serves (`an SSH`), when it should say so. */
  servesLabel?: string;
} & ({ credential: string } | { identity: Identity });

export type Admitted = { ok: true; admission: Admission } | { ok: false; refusal: Refusal; identity: Identity | null };

const HINT_FORBIDDEN = "Ask an admin to grant one of your groups access to it.";

/**
 * Admission, the same for every protocol: the credential (a Gatehouse key or an OIDC access token,
 * unless the adapter already proved an identity, e.g. by an SSH public key or a terminal ticket) ->
 * identity with groups -> the connection by name -> a grant or time-bound access -> its policy
 * and masking rules loaded (fail closed: a connection whose rules cannot be read is not served).
 * Each refusal is audited once, here.
 */
export async function admit(deps: GatewayDeps, req: AdmitRequest): Promise<Admitted> {
  const authenticatedAt = Date.now();
  let identity: Identity;
  if ("identity" in req) identity = req.identity;
  else {
    const who = await authenticateClient(deps, req);
    if (!who.ok) return { ok: false, identity: null, refusal: who.refusal };
    identity = who.identity;
  }
  let connection: ResolvedConnection | null;
  try {
    connection = await resolveConnection(deps.db, deps.box, identity, req.connectionName);
    if (connection && req.serves(connection.type)) {
      await deps.policies.ensure(connection.id);
      await deps.masking.ensure(connection.id);
    }
  } catch (err) {
    if (err instanceof InvalidStoredRules) {
      const message = `connection "${req.connectionName}" cannot be served: ${err.message}`;
      auditRefusal(deps, req, identity, message, true);
      return { ok: false, identity, refusal: { reason: "unavailable", message, hint: STORED_RULES_HINT } };
    }
    deps.log(`${req.protocol}: could not resolve connection: ${(err as Error).message}`, "error");
    return { ok: false, identity, refusal: { reason: "unavailable", message: "the gateway cannot read its configuration right now; try again shortly" } };
  }
  if (!connection || !req.serves(connection.type)) {
    const what = req.servesLabel ? `does not exist, is not ${req.servesLabel} connection, or you are not allowed to use it` : "does not exist or you are not allowed to use it";
    return refuse(deps, req, identity, { reason: "forbidden", message: `connection "${req.connectionName}" ${what}`, hint: HINT_FORBIDDEN });
  }
  try {
    // Settings the type cannot use (written by hand, or by another release) are refused here, once, for every adapter.
    parseConnectionSettings(connection);
  } catch (err) {
    const message = `connection "${connection.name}" cannot be served: ${(err as Error).message}`;
    auditRefusal(deps, req, identity, message, true);
    return { ok: false, identity, refusal: { reason: "unavailable", message, hint: "An admin can fix its settings in the console." } };
  }
  return { ok: true, admission: { identity, connection, authenticatedAt } };
}

export type Authenticated = { ok: true; identity: Identity } | { ok: false; refusal: Refusal };

/**
 * The credential step of admission alone (throttled, refusals audited), for adapters that learn the
 * identity before any connection is named (MCP authenticates each HTTP request, then admits per tool call).
 */
export async function authenticateClient(deps: GatewayDeps, req: Pick<AdmitRequest, "protocol" | "clientAddr"> & { connectionName: string | null; credential: string }): Promise<Authenticated> {
  const claim = { addr: req.clientAddr, keyPrefix: looksLikeKey(req.credential) ? req.credential.slice(0, KEY_PREFIX_LENGTH) : null };
  // A key's look-up is a read, so it runs beside the throttle's (one database round trip less per
  // connect); whatever it finds counts only if the address may sign in. Any other credential is looked
  // at only then: an OIDC token costs a signature check and its first use writes the identity.
  const early = claim.keyPrefix !== null ? settle(authenticate(req.credential, deps)) : null;
  // An address past its failures is refused before its credential counts (counted, not audited one by one).
  const refusedFor = await deps.throttle.refusedFor(claim).catch(() => null);
  if (refusedFor !== null) return { ok: false, refusal: { reason: "unauthenticated", message: `too many failed sign-ins from ${req.clientAddr}; try again in ${refusedFor} s` } };
  const checked = await (early ?? settle(authenticate(req.credential, deps)));
  if (checked.ok) {
    if (checked.value.keyId) recordKeyUse(deps.db, checked.value.keyId, { clientAddr: req.clientAddr, protocol: req.protocol });
    return { ok: true, identity: checked.value };
  }
  const err = checked.error;
  if (!(err instanceof AuthError)) deps.log(`${req.protocol}: authentication error: ${(err as Error).message}`, "warn");
  const message = err instanceof AuthError ? err.message : "the token could not be checked";
  const reason = err instanceof AuthUnavailableError ? "auth-unavailable" : "unauthenticated";
  if (reason === "auth-unavailable" || !(err instanceof AuthError)) {
    auditRefusal(deps, req, null, message);
    return { ok: false, refusal: { reason, message } };
  }
  const failed = await refuseFailedCredential(deps, req, claim, message);
  return { ok: false, refusal: failed.refusal };
}

/** A promise's outcome as a value (never an unhandled rejection, whether or not it is awaited). */
function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Audits a refusal of a client that never got a session (also for refusals an adapter decides itself, e.g. a bad SSH signature). */
export function auditRefusal(
  deps: GatewayDeps,
  req: Pick<AdmitRequest, "protocol" | "clientAddr"> & { connectionName: string | null },
  identity: Identity | null,
  message: string,
  failure = false,
): void {
  deps.audit.write({
    at: new Date(),
    action: failure ? "session.failed" : "session.denied",
    outcome: failure ? "error" : "denied",
    protocol: req.protocol,
    clientAddr: req.clientAddr,
    connectionName: req.connectionName,
    identityId: identity?.id ?? null,
    identityName: identity?.name ?? null,
    groups: identity?.groups ?? null,
    message,
  });
}

/**
 * A wrong credential: counted against the address and the key it claimed (gateway/pipeline/auth-throttle.ts).
 * The first failures of a window are audited one by one and answered at once; past them the answer
 * waits, and the address (or key) gets one aggregated event for the window instead of a row per attempt.
 */
async function refuseFailedCredential(
  deps: GatewayDeps,
  req: Pick<AdmitRequest, "protocol" | "clientAddr"> & { connectionName: string | null },
  claim: Claim,
  message: string,
): Promise<{ ok: false; refusal: Refusal; identity: null }> {
  const count = await deps.throttle.failed(claim).catch(() => null);
  const refusal: Refusal = { reason: "unauthenticated", message };
  if (count?.aggregate) {
    const { scope, subject } = count.aggregate;
    const who = scope === "addr" ? `from ${subject}` : `with keys starting ${subject}`;
    deps.audit.write({
      at: new Date(),
      action: "auth.throttled",
      outcome: "denied",
      protocol: req.protocol,
      clientAddr: req.clientAddr,
      connectionName: req.connectionName,
      identityId: null,
      identityName: null,
      groups: null,
      message: `more than ${count.failures - 1} failed sign-ins ${who} in this window: further failures are delayed and counted (auth_failures), not audited one by one`,
    });
  } else if (!count?.quiet) auditRefusal(deps, req, null, message);
  if (count?.delayMs) await new Promise((r) => setTimeout(r, count.delayMs));
  return { ok: false, refusal, identity: null };
}

function refuse(deps: GatewayDeps, req: AdmitRequest, identity: Identity | null, refusal: Refusal): Admitted {
  auditRefusal(deps, req, identity, refusal.message);
  return { ok: false, refusal, identity };
}
