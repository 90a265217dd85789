import type { NextRequest } from "next/server";
import { auth, signOut } from "../../../../server/auth/index";
import { recordConsoleEvent } from "../../../../server/audit/record-console-event";
import { consoleUrl, currentSamlClient } from "../../../../server/auth/saml/saml-runtime";
import { getDb } from "../../../../server/db";

export const dynamic = "force-dynamic";

const seeOther = (location: URL | string) => new Response(null, { status: 303, headers: { location: String(location), "cache-control": "no-store" } });

/**
 * Single logout, HTTP-Redirect binding only. A LogoutResponse is the provider's answer to the
 * console's own LogoutRequest (sent at sign-out): the person lands on the signed-out page. A
 * LogoutRequest is the provider ending the person's session: it must be signed; the console session
 * of this browser ends when it belongs to the NameID named, and the provider gets a LogoutResponse.
 */
export async function GET(req: NextRequest) {
  const query = Object.fromEntries(req.nextUrl.searchParams);
  const rawQuery = req.nextUrl.search.slice(1);
  const client = await currentSamlClient().catch(() => undefined);
  if (!client) return new Response("SAML sign-in is not configured or its provider cannot be read\n", { status: 404 });
  if (query.SAMLResponse) {
    await client.saml.validateRedirectAsync(query, rawQuery).catch((err: Error) => console.warn(`[saml] logout response not accepted: ${err.message}`));
    return seeOther(consoleUrl("/sign-in?signedOut=1"));
  }
  if (!query.SAMLRequest) return new Response("expected SAMLRequest or SAMLResponse\n", { status: 400 });
  const refuse = async (why: string) => {
    await recordConsoleEvent(getDb(), { action: "console.sign_out", outcome: "denied", actor: "saml", message: `SAML logout request refused: ${why}` });
    return new Response(`SAML logout request refused: ${why}\n`, { status: 400 });
  };
  if (!query.Signature) return refuse("it is not signed");
  let profile;
  try {
    ({ profile } = await client.saml.validateRedirectAsync(query, rawQuery));
  } catch (err) {
    return refuse((err as Error).message);
  }
  if (!profile) return refuse("it names nobody");
  const session = await auth();
  const ours = Boolean(session?.saml && session.saml.nameId === profile.nameID);
  if (ours) {
    await signOut({ redirect: false });
    await recordConsoleEvent(getDb(), { action: "console.sign_out", outcome: "ok", actor: session!.user.email, message: `signed out by the SAML provider (${client.idp.entityId})` });
  }
  const answer = await client.saml.getLogoutResponseUrlAsync(profile, query.RelayState ?? "", {}, true);
  return seeOther(answer);
}
