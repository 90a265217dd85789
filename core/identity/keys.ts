import { createHash, randomBytes } from "node:crypto";

const KEY_PREFIX = "ghk_";
/** How much of a key is stored in the clear (to tell keys apart in lists and in throttling). */
export const KEY_PREFIX_LENGTH = 12;

/** A new Gatehouse key: 32 random bytes, so a fast hash is enough to store it (no password stretching needed). */
export function generateKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, prefix: key.slice(0, KEY_PREFIX_LENGTH), hash: hashKey(key) };
}

export const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export const looksLikeKey = (token: string) => token.startsWith(KEY_PREFIX) && token.length === KEY_PREFIX.length + 43;
