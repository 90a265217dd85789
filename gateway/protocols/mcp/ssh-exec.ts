import ssh2 from "ssh2";
import type { Hold } from "./pg-call";

/** What `exec` returns: the command's output (capped like query results) and its exit status. */
export type ExecResult = { stdout: string; stderr: string; exitStatus: number | null; signal: string | null; truncated: boolean; note?: string };

export const MAX_OUTPUT_BYTES = 256 * 1024;

/** A refusal at sign-in (the SSH listener's authentication failure) or a broken connection. */
export class SshCallError extends Error {}

const HOLD_LINE = /Gatehouse is holding this command for approval: (\S*\/reviews\/([0-9a-f-]{36}))/i;

/**
 * One command through the gateway's own SSH listener, as the agent (user name = connection name,
 * password = the agent's credential): the listener admits, judges, holds, records and audits it.
 * `onHold` is called when the listener announces a hold on stderr.
 */
export function runCommand(
  endpoint: { host: string; port: number },
  who: { credential: string; connection: string },
  command: string,
  onHold: (h: Hold) => void,
): { done: Promise<ExecResult>; abandon: () => void } {
  const client = new ssh2.Client();
  const done = new Promise<ExecResult>((resolve, reject) => {
    // `on`, not `once`: a second error (the target going away while a held command waits) must not be an unhandled event.
    client.on("error", (err) =>
      reject(new SshCallError(/authentication/i.test(err.message) ? "the gateway refused the credential for this connection (or the connection does not exist or is not granted)" : err.message)),
    );
    client.once("ready", () => {
      client.exec(command, (err, stream) => {
        if (err) return reject(new SshCallError(err.message));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let size = 0;
        let dropped = 0;
        let announced = false;
        const keep = (into: Buffer[], b: Buffer) => {
          if (size + b.length > MAX_OUTPUT_BYTES) {
            const room = Math.max(0, MAX_OUTPUT_BYTES - size);
            if (room) into.push(b.subarray(0, room));
            size += room;
            dropped += b.length - room;
            return;
          }
          size += b.length;
          into.push(b);
        };
        let exitStatus: number | null = null;
        let signal: string | null = null;
        stream.on("data", (b: Buffer) => keep(out, b));
        stream.stderr.on("data", (b: Buffer) => {
          keep(errs, b);
          const m = announced ? null : HOLD_LINE.exec(Buffer.concat(errs).toString());
          if (m) {
            announced = true;
            onHold({ reviewId: m[2], link: m[1], reason: undefined });
          }
        });
        stream.on("exit", (code: number | null, sig?: string) => {
          exitStatus = code;
          signal = sig ?? null;
        });
        stream.once("close", () => {
          client.end();
          const truncated = dropped > 0;
          resolve({
            stdout: Buffer.concat(out).toString(),
            stderr: Buffer.concat(errs).toString(),
            exitStatus,
            signal,
            truncated,
            ...(truncated ? { note: `the output was cut: ${dropped} byte(s) not returned (at most ${MAX_OUTPUT_BYTES / 1024} KiB per call)` } : {}),
          });
        });
      });
    });
    client.connect({ host: endpoint.host, port: endpoint.port, username: who.connection, password: who.credential, readyTimeout: 15_000, tryKeyboard: false });
  });
  return { done, abandon: () => client.end() };
}
