/**
 * Only same-site paths: an open redirect on the sign-in page would be a phishing aid. With nowhere
 * asked for, the Overview decides where a person lands (an approver with reviews waiting goes to Reviews).
 */
export function safeNext(next: string | undefined | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/?landing=1";
}
