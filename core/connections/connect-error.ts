/**
 * The target's own words for a failed connection, made safe to show: Node's AggregateError (one
 * try per address of "localhost") carries an empty message, so its parts are joined; and any
 * secret that might be echoed back is cut out.
 */
export function describeConnectError(err: unknown, secrets: readonly string[] = []): string {
  let message: string;
  if (err instanceof AggregateError && err.errors.length) {
    message = [...new Set(err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))))].join("; ");
  } else if (err instanceof Error) {
    message = err.message || err.name;
  } else {
    message = String(err);
  }
  if (/timeout/i.test(message) && !/ms\b/.test(message)) message = `${message} (no answer within 5 s: check the host, port and any firewall)`;
  for (const s of secrets) if (s) message = message.split(s).join("[secret]");
  return message;
}
