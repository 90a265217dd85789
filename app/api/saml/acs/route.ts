import type { NextRequest } from "next/server";
import { AuthError } from "next-auth";
import { signIn } from "../../../../server/auth/index";
import { safeNext } from "../../../../server/auth/safe-next";
import { completeSamlSignIn } from "../../../../server/auth/saml/complete-saml-sign-in";
import { samlErrorCode } from "../../../../server/auth/saml/refusal-messages";
import { consoleUrl, currentSamlClient, samlTicketKey } from "../../../../server/auth/saml/saml-runtime";
import { getDb } from "../../../../server/db";
import { parseConsoleEnv } from "../../../../server/env";

export const dynamic = "force-dynamic";

const seeOther = (location: URL | string) => new Response(null, { status: 303, headers: { location: String(location), "cache-control": "no-store" } });

/**
 * The assertion consumer service (HTTP-POST binding): the provider's SAMLResponse is validated
 * here; a verified person becomes a next-auth session through the `saml` provider and a one-time
 * ticket; a refusal goes back to the sign-in page with its reason.
 */
export async function POST(req: NextRequest) {
  const form = await req.formData().catch(() => null);
  let client;
  try {
    client = await currentSamlClient();
  } catch (err) {
    console.error(`[saml] ${(err as Error).message}`);
    return seeOther(consoleUrl("/sign-in?error=SamlUnavailable"));
  }
  if (!client) return new Response("SAML sign-in is not configured\n", { status: 404 });
  const outcome = await completeSamlSignIn({ db: getDb(), client, roleGroups: parseConsoleEnv().roleGroups, ticketKey: samlTicketKey() }, form?.get("SAMLResponse"));
  if (!outcome.ok) return seeOther(consoleUrl(`/sign-in?error=${samlErrorCode(outcome.reason)}`));
  const relayState = form?.get("RelayState");
  try {
    const to = await signIn("saml", { ticket: outcome.ticket, redirect: false, redirectTo: safeNext(typeof relayState === "string" ? relayState : undefined) });
    return seeOther(new URL(to, consoleUrl("/")));
  } catch (err) {
    // The provider refused the ticket it was just given: the account was disabled in between, or the database failed.
    if (err instanceof AuthError) return seeOther(consoleUrl("/sign-in?error=SamlRefused"));
    throw err;
  }
}
