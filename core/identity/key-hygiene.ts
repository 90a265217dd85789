/**
 * Key hygiene settings, read the same way by the gateway (which refuses keys unused too long) and the
 * console (which flags them): GATEHOUSE_KEY_UNUSED_DAYS, after which a key counts as unused (default 30),
 * and GATEHOUSE_KEY_UNUSED_EXPIRE: `true` expires keys unused that many days, a number of days expires
 * them after that many instead, `false` or unset never.
 */
export type KeyHygiene = { unusedDays: number; expireUnusedDays: number | null };

export function parseKeyHygiene(env: Record<string, string | undefined>): KeyHygiene {
  const days = (name: string, raw: string) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) throw new Error(`invalid configuration:\n  ${name}: a whole number of days (1 or more), got "${raw}"`);
    return n;
  };
  const unusedDays = env.GATEHOUSE_KEY_UNUSED_DAYS ? days("GATEHOUSE_KEY_UNUSED_DAYS", env.GATEHOUSE_KEY_UNUSED_DAYS) : 30;
  const expire = env.GATEHOUSE_KEY_UNUSED_EXPIRE?.trim().toLowerCase();
  if (!expire || expire === "false") return { unusedDays, expireUnusedDays: null };
  if (expire === "true") return { unusedDays, expireUnusedDays: unusedDays };
  return { unusedDays, expireUnusedDays: days("GATEHOUSE_KEY_UNUSED_EXPIRE", expire) };
}

/** When a key was last in use, for unused-key rules: its last use, else when it was issued. */
export const lastActivity = (k: { createdAt: Date | string; lastUsedAt: Date | string | null }) => new Date(k.lastUsedAt ?? k.createdAt);

/** The refusal a key unused too long gets (the gateway's message and the console's label agree). */
export const unusedExpiredMessage = (days: number) => `the Gatehouse key has expired: it was not used for ${days} days (GATEHOUSE_KEY_UNUSED_EXPIRE); ask an admin for a new one`;
