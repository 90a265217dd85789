// The package ships JavaScript only: samlify's schema validator (SAML XSDs checked by xmllint in WASM).
declare module "@authenio/samlify-xmllint-wasm" {
  export function validate(xml: string): Promise<true>;
}
