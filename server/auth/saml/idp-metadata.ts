import { readFile } from "node:fs/promises";
import { DOMParser } from "@xmldom/xmldom";

const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS = "http://www.w3.org/2000/09/xmldsig#";
export const REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/** What the console needs from the provider's metadata. */
export type IdpMetadata = {
  entityId: string;
  /** SingleSignOnService for the HTTP-Redirect binding. */
  ssoUrl: string;
  /** SingleLogoutService for the HTTP-Redirect binding, when the provider has one. */
  sloUrl?: string;
  /** Signing certificates (base64 DER, as in the metadata); responses must verify against one of them. */
  signingCerts: string[];
};

function children(parent: Element, ns: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === localName) found.push(n as Element);
  }
  return found;
}

function descendants(parent: Element, ns: string, localName: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns, localName) as unknown as ArrayLike<Element>);
}

/** Reads an EntityDescriptor (or the first IdP in an EntitiesDescriptor); throws with a sentence naming what is missing. */
export function parseIdpMetadata(xml: string): IdpMetadata {
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { error: (m) => errors.push(m), fatalError: (m) => errors.push(m) } }).parseFromString(xml, "text/xml");
  if (errors.length || !doc.documentElement) throw new Error(`the SAML IdP metadata is not XML: ${errors[0] ?? "empty"}`);
  const root = doc.documentElement as unknown as Element;
  const entities = root.localName === "EntityDescriptor" ? [root] : descendants(root, MD, "EntityDescriptor");
  for (const entity of entities) {
    const [idp] = children(entity, MD, "IDPSSODescriptor");
    if (!idp) continue;
    const entityId = entity.getAttribute("entityID");
    if (!entityId) throw new Error("the SAML IdP metadata has no entityID");
    const service = (name: string) =>
      children(idp, MD, name)
        .find((s) => s.getAttribute("Binding") === REDIRECT_BINDING)
        ?.getAttribute("Location") ?? undefined;
    const ssoUrl = service("SingleSignOnService");
    if (!ssoUrl) throw new Error("the SAML IdP metadata has no SingleSignOnService for the HTTP-Redirect binding");
    const signingCerts = children(idp, MD, "KeyDescriptor")
      .filter((k) => (k.getAttribute("use") || "signing") === "signing")
      .flatMap((k) => descendants(k, DS, "X509Certificate"))
      .map((c) => (c.textContent ?? "").replace(/\s+/g, ""))
      .filter(Boolean);
    if (!signingCerts.length) throw new Error("the SAML IdP metadata has no signing certificate (KeyDescriptor use=signing)");
    return { entityId, ssoUrl, sloUrl: service("SingleLogoutService"), signingCerts };
  }
  throw new Error("the SAML IdP metadata has no IDPSSODescriptor");
}

/** Fetches or reads the metadata; a URL should be https (the metadata decides which signatures are trusted). */
export async function loadIdpMetadata(source: { url: string } | { file: string }): Promise<IdpMetadata> {
  if ("file" in source) return parseIdpMetadata(await readFile(source.file, "utf8"));
  const res = await fetch(source.url, { signal: AbortSignal.timeout(10_000), redirect: "error" });
  if (!res.ok) throw new Error(`the SAML IdP metadata at ${source.url} answered ${res.status}`);
  return parseIdpMetadata(await res.text());
}
