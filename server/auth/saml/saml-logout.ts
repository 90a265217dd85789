import "server-only";
import type { Profile } from "@node-saml/node-saml";
import { currentSamlClient } from "./saml-runtime";

/**
 * Where to send the browser after the console session ends, for a person signed in through SAML:
 * a LogoutRequest (HTTP-Redirect) to the provider's SingleLogoutService, or undefined when the
 * provider has none (or cannot be reached: signing out of the console must not depend on it).
 */
export async function samlLogoutUrl(ref: { nameId: string; nameIdFormat: string; sessionIndex?: string }): Promise<string | undefined> {
  try {
    const client = await currentSamlClient();
    if (!client?.idp.sloUrl) return undefined;
    const profile = { issuer: client.idp.entityId, nameID: ref.nameId, nameIDFormat: ref.nameIdFormat, sessionIndex: ref.sessionIndex } as Profile;
    return await client.saml.getLogoutUrlAsync(profile, "", {});
  } catch (err) {
    console.error(`[saml] no single logout: ${(err as Error).message}`);
    return undefined;
  }
}
