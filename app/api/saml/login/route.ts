import type { NextRequest } from "next/server";
import { safeNext } from "../../../../server/auth/safe-next";
import { consoleUrl, currentSamlClient } from "../../../../server/auth/saml/saml-runtime";

export const dynamic = "force-dynamic";

/** Starts a SAML sign-in: an AuthnRequest (its ID remembered for InResponseTo) sent to the provider by HTTP-Redirect. */
export async function GET(req: NextRequest) {
  const next = safeNext(req.nextUrl.searchParams.get("callbackUrl"));
  try {
    const client = await currentSamlClient();
    if (!client) return Response.redirect(consoleUrl("/sign-in"), 303);
    const url = await client.saml.getAuthorizeUrlAsync(next, undefined, {});
    return new Response(null, { status: 303, headers: { location: url, "cache-control": "no-store" } });
  } catch (err) {
    console.error(`[saml] cannot start a sign-in: ${(err as Error).message}`);
    return Response.redirect(consoleUrl("/sign-in?error=SamlUnavailable"), 303);
  }
}
