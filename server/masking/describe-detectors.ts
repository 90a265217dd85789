import { BUILT_IN_DETECTORS } from "../../core/masking/detectors";

/** One line per built-in detector on what it finds and what keeps look-alikes out, for the form's checkboxes. */
const DESCRIPTIONS: Record<string, string> = {
  "private-key": "PEM private key blocks (-----BEGIN … PRIVATE KEY-----)",
  jwt: "JSON web tokens (eyJ….eyJ….signature)",
  "cloud-key": "AWS access key ids (AKIA…, ASIA…) and Google API keys (AIza…)",
  "api-key": "Stripe, GitHub and Slack style keys (sk_live_…, ghp_…, xoxb-…)",
  email: "e-mail addresses, also inside JSON and longer text",
  iban: "bank account numbers (IBAN, mod-97 checked)",
  "payment-card": "payment card, 13 to 19 digits (Luhn-checked: order numbers pass)",
  "us-ssn": "US social security numbers (123-45-6789; impossible ranges skipped)",
  phone: "phone numbers in +country or (555) 123-4567 form",
  ipv4: "IPv4 addresses (each part at most 255)",
  ipv6: "IPv6 addresses",
};

export type DetectorInfo = { id: string; label: string; description: string };

/** The gateway's built-in detectors, in its order, with the console's description of each. */
export function describeDetectors(): DetectorInfo[] {
  return BUILT_IN_DETECTORS.map((d) => ({ id: d.id, label: d.label, description: DESCRIPTIONS[d.id] ?? d.label }));
}
