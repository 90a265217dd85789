import { randomUUID } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import type { Db } from "../../../drizzle/client";
import { rememberOnce } from "./message-id-store";

/** What the ACS route hands next-auth's `saml` provider after validating a response. */
export type SignInTicket = { userId: string; nameId: string; nameIdFormat: string; sessionIndex?: string };

const TICKET_SECONDS = 60;
const AUDIENCE = "gatehouse:console:saml-sign-in";

/** A one-time ticket (HS256 with a key only the console holds), good for 60 seconds. */
export async function mintSignInTicket(key: Uint8Array, t: SignInTicket): Promise<string> {
  return new SignJWT({ nid: t.nameId, nidf: t.nameIdFormat, sidx: t.sessionIndex })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(t.userId)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${TICKET_SECONDS}s`)
    .sign(key);
}

/**
 * The ticket's contents, or undefined when it is forged, expired, or was already redeemed (its
 * ID is recorded in the shared database until it would have expired anyway).
 */
export async function redeemSignInTicket(key: Uint8Array, db: Db, ticket: unknown): Promise<SignInTicket | undefined> {
  if (typeof ticket !== "string" || ticket.length > 4096) return undefined;
  let payload;
  try {
    ({ payload } = await jwtVerify(ticket, key, { audience: AUDIENCE, algorithms: ["HS256"] }));
  } catch {
    return undefined;
  }
  if (!payload.jti || !payload.sub || !payload.exp || typeof payload.nid !== "string") return undefined;
  if (!(await rememberOnce(db, "ticket", payload.jti, new Date(payload.exp * 1000)))) return undefined;
  return {
    userId: payload.sub,
    nameId: payload.nid,
    nameIdFormat: String(payload.nidf ?? ""),
    sessionIndex: typeof payload.sidx === "string" ? payload.sidx : undefined,
  };
}
