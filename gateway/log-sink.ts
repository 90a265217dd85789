import { format } from "node:util";

export type LogLevel = "info" | "warn" | "error";
/** The gateway's log: one message (and its level, info by default). */
export type Log = (message: string, level?: LogLevel) => void;

// JSON.stringify escapes C0 controls, quotes and backslashes; these it leaves as they are, and
// terminals or log viewers act on them (DEL, the C1 controls such as CSI, Unicode line separators).
const UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;
const escapeUnsafe = (json: string) => json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * One log line: a JSON object with time, level, instance and msg, every control character escaped,
 * so a message that carries a client's bytes (a statement name, a connection name) stays inside
 * its own line and its own field.
 */
export function logLine(fields: { time: Date; level: LogLevel; instance: string; msg: string }): string {
  return escapeUnsafe(JSON.stringify({ time: fields.time.toISOString(), level: fields.level, instance: fields.instance, msg: fields.msg })) + "\n";
}

/** The default sink: a JSON line per message on stderr (or `write`). */
export function createLogSink(instance: string, write: (line: string) => void = (line) => void process.stderr.write(line)): Log {
  return (message, level = "info") => write(logLine({ time: new Date(), level, instance, msg: message }));
}

/**
 * Routes what libraries print with console.* (pg-protocol's warnings, say) through the log, as
 * escaped lines at level warn, instead of raw bytes on stderr. For the gateway's own process
 * (gateway/main.ts), not for a gateway started inside another program.
 */
export function captureConsole(log: Log): void {
  const to =
    (level: LogLevel) =>
    (...args: unknown[]) =>
      log(format(...args), level);
  console.log = to("info");
  console.info = to("info");
  console.debug = to("info");
  console.warn = to("warn");
  console.error = to("warn");
}
