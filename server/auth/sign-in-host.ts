/**
 * Where to send a person who opened the sign-in page under another loopback name than the
 * console's address (AUTH_URL): at http://127.0.0.1:3000 with AUTH_URL http://localhost:3000 the
 * session cookie would be set for one name and the sign-in would finish at the other, so the
 * person would land on the sign-in page again with no word why. Only loopback names of the same
 * port are redirected: behind a reverse proxy the Host header may differ from AUTH_URL on purpose.
 */
export function signInElsewhere(authUrl: string | undefined, requestHost: string | null, params: Record<string, string | undefined>): string | undefined {
  if (!authUrl || !requestHost) return undefined;
  let wanted: URL;
  let came: URL;
  try {
    wanted = new URL(authUrl);
    came = new URL(`${wanted.protocol}//${requestHost}`);
  } catch {
    return undefined;
  }
  if (came.host === wanted.host || came.port !== wanted.port || !LOOPBACK.has(came.hostname) || !LOOPBACK.has(wanted.hostname)) return undefined;
  const to = new URL("/sign-in", wanted);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) to.searchParams.set(k, v);
  return to.toString();
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
