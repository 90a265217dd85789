/**
 * Slows password guessing on local accounts: after 10 failed attempts for one e-mail within 15
 * minutes, further attempts for it are refused until the window passes (memory of this console
 * process; scrypt already makes each guess cost 32 MiB and ~100 ms).
 */
const WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 10;
const failures = new Map<string, number[]>();

export function signInBlocked(email: string, now = Date.now()): boolean {
  const recent = (failures.get(email.toLowerCase()) ?? []).filter((t) => now - t < WINDOW_MS);
  return recent.length >= MAX_FAILURES;
}

export function recordSignIn(email: string, ok: boolean, now = Date.now()): void {
  const key = email.toLowerCase();
  if (ok) return void failures.delete(key);
  const recent = (failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  recent.push(now);
  failures.set(key, recent);
  if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
}
