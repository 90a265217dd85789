import { currentSamlClient } from "../../../../server/auth/saml/saml-runtime";
import { spMetadataXml } from "../../../../server/auth/saml/saml-client";

export const dynamic = "force-dynamic";

/** The console's SAML service-provider metadata, for the identity provider's administrator. */
export async function GET() {
  const client = await currentSamlClient().catch((err: Error) => {
    console.error(`[saml] ${err.message}`);
    return null;
  });
  if (client === undefined) return new Response("SAML sign-in is not configured\n", { status: 404 });
  if (client === null) return new Response("the identity provider's metadata could not be read; the console's log says why\n", { status: 503 });
  return new Response(spMetadataXml(client), { headers: { "content-type": "application/samlmetadata+xml; charset=utf-8" } });
}
