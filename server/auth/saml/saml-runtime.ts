import "server-only";
import { hkdfSync } from "node:crypto";
import { getDb } from "../../db";
import { parseConsoleEnv, type SamlSettings } from "../../env";
import { secretKey } from "../../secret-key";
import { samlClient, type SamlClient } from "./saml-client";

/** The SAML settings, or undefined when the console has no SAML provider configured. */
export function samlSettings(): SamlSettings | undefined {
  return parseConsoleEnv().samlSignIn;
}

/** This process's SAML client (metadata loaded and cached), or undefined when SAML is not configured. */
export async function currentSamlClient(): Promise<SamlClient | undefined> {
  const settings = samlSettings();
  return settings ? samlClient(settings, getDb()) : undefined;
}

/** Signs the one-time sign-in tickets; derived from the Gatehouse secret key, so every console instance shares it. */
export function samlTicketKey(): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", secretKey(), "gatehouse", "console saml sign-in tickets", 32));
}

/** An absolute address on the console's public URL (AUTH_URL), where the browser is sent. */
export function consoleUrl(pathAndQuery: string): URL {
  return new URL(pathAndQuery, parseConsoleEnv().AUTH_URL);
}
