/**
 * Content detectors: find sensitive values inside any text (a column value, JSON, an array or
 * composite literal, an error message). Protocol-agnostic: the Postgres, SSH, MySQL, HTTP and MCP
 * adapters all hand text to the same detectors. Checksums (Luhn, IBAN mod 97, IPv4 octets) keep
 * look-alikes such as 16-digit order numbers from being masked.
 */
import { Feature } from "./content-features";
import { linearPattern } from "../policy/linear-pattern";

export type Span = { start: number; end: number };
/**
 * `needs`: groups of content features (see content-features.ts); the detector can only match a
 * text that has every feature of at least one group. Empty: always run (custom detectors).
 */
export type Detector = { id: string; label: string; needs: number[]; find: (text: string) => Span[] };

function regexDetector(id: string, label: string, pattern: RegExp, valid: (match: string) => boolean = () => true, needs: number[] = []): Detector {
  const flags = pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g";
  const re = new RegExp(pattern.source, flags);
  return {
    id,
    label,
    needs,
    find(text) {
      re.lastIndex = 0;
      const spans: Span[] = [];
      // exec in a loop, not matchAll (which clones the expression and makes an iterator per text: this runs for every value).
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) re.lastIndex++;
        else if (valid(m[0])) spans.push({ start: m.index, end: m.index + m[0].length });
      }
      return spans;
    },
  };
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const v = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rest = (rest * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

const digitsOf = (s: string) => s.replace(/\D/g, "");

const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isLocalChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
// What follows the @: labels, then a dot and a top-level domain of letters. Read from one @ at a time (sticky).
const EMAIL_DOMAIN = /[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/y;

/**
 * The spans `\b[A-Za-z0-9._%+-]+@domain` matches, found from each @ instead of by that expression: run
 * over a long local part with no @ after it (`.a.a.a...`, a value in a result set or a response
 * body), the expression retried from every word boundary and took time growing with the square of
 * the length (64,000 characters: 4 s of the gateway's one thread). A local part starts at the first
 * word boundary of the run of local characters before the @, as the expression's did.
 */
function findEmails(text: string): Span[] {
  const spans: Span[] = [];
  let floor = 0; // the end of the last match: the next one starts after it
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let run = at;
    while (run > floor && isLocalChar(text.charCodeAt(run - 1))) run--;
    let start = -1;
    for (let p = run; p < at; p++) {
      if (isWordChar(text.charCodeAt(p - 1)) !== isWordChar(text.charCodeAt(p))) {
        start = p;
        break;
      }
    }
    if (start === -1) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (!EMAIL_DOMAIN.test(text)) continue;
    spans.push({ start, end: EMAIL_DOMAIN.lastIndex });
    floor = EMAIL_DOMAIN.lastIndex;
  }
  return spans;
}

export const BUILT_IN_DETECTORS: Detector[] = [
  regexDetector("private-key", "private key block", /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/, undefined, [Feature.Dashes5]),
  regexDetector("jwt", "JSON web token", /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/, undefined, [Feature.EyJ]),
  regexDetector("cloud-key", "cloud access key", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{35}\b/, undefined, [Feature.Upper2]),
  regexDetector(
    "api-key",
    "API key or token",
    /\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b|\bgh[pousr]_[0-9A-Za-z]{36,}\b|\bgithub_pat_[0-9A-Za-z_]{40,}\b|\bxox[abprs]-[0-9A-Za-z-]{10,}\b|\bghk_[0-9A-Za-z_-]{20,}\b/,
    undefined,
    [Feature.Underscore, Feature.Dash],
  ),
  { id: "email", label: "e-mail address", needs: [Feature.At], find: findEmails },
  regexDetector("iban", "IBAN", /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/, ibanValid, [Feature.Upper2]),
  regexDetector("payment-card", "payment card number", /\b\d(?:[ -]?\d){12,18}\b/, (m) => luhnValid(digitsOf(m)), [Feature.Digits13]),
  regexDetector("us-ssn", "US social security number", /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/, undefined, [Feature.Digits9 | Feature.Dash]),
  regexDetector("phone", "phone number", /(?<![\w+])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}\b|\(\d{3}\) ?\d{3}-\d{4}\b/, undefined, [Feature.Digits4 | Feature.PlusOrParen]),
  regexDetector("ipv4", "IPv4 address", /\b(?:\d{1,3}\.){3}\d{1,3}\b/, (m) => m.split(".").every((o) => Number(o) <= 255 && String(Number(o)) === o), [Feature.Digits4 | Feature.Dots3]),
  regexDetector("ipv6", "IPv6 address", /(?<![:\w])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![:\w])|(?<![:\w])(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}(?![:\w])/, undefined, [
    Feature.Colons2,
  ]),
];

/** A custom detector from an admin's regular expression (case-insensitive), as named in a masking policy: run in linear time (see linear-pattern.ts). */
export function customDetector(id: string, source: string): Detector {
  const pattern = linearPattern(source);
  return { id, label: id, needs: [], find: (text) => pattern.spans(text) };
}
