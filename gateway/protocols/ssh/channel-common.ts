import type { ClientChannel, ServerChannel } from "ssh2";
import { watchExit, type PtyRequest, type SshSession } from "./ssh-session";
import { SshTargetError } from "./ssh-target";

// What the kinds of session channel (exec, shell, sftp) share: opening on the target, failing, tracking.

/**
 * Resolves when the client closes the channel or its whole connection (Ctrl-C ends OpenSSH's ssh).
 * ssh2 emits a channel's "close" only once its input has been read, and a held command's input is
 * left unread (it belongs to the command), so a channel the client closed shows as its stderr ending.
 */
export function closedByClient(stream: ServerChannel, s: SshSession): Promise<string> {
  return new Promise((resolve) => {
    const gone = () => resolve("the client disconnected");
    stream.once("close", gone);
    stream.stderr.once("finish", gone);
    void s.gone.then(gone);
  });
}

/** Tells the client why nothing runs, on stderr, with exit status `code`. */
export function fail(stream: ServerChannel, message: string, code = 1): void {
  if (!stream.writable) return;
  stream.stderr.write(`${message}\r\n`);
  stream.exit(code);
  stream.end();
}

export async function targetOr(stream: ServerChannel, s: SshSession) {
  try {
    return await s.target;
  } catch (err) {
    fail(stream, `gatehouse: ${err instanceof SshTargetError ? err.message : `connection "${s.ctx.connectionName}" is unavailable`}`, 255);
    return null;
  }
}

/** The recording (null when off); undefined after telling the client it cannot be recorded: nothing unrecorded runs. */
export async function recorderOr(stream: ServerChannel, s: SshSession, pty: PtyRequest | undefined) {
  try {
    // A client without a local terminal (ssh -tt < file) asks for a 0x0 one.
    return await s.recorder({ cols: pty?.cols || 80, rows: pty?.rows || 24 });
  } catch {
    fail(stream, "gatehouse: this session cannot be recorded right now, so it does not run; try again shortly", 255);
    return undefined;
  }
}

export function openOnTarget(open: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void): Promise<ClientChannel> {
  return new Promise((resolve, reject) => open((err, ch) => (err ? reject(err) : resolve(watchExit(ch)))));
}

/** Registers a channel so a kill can tell its terminal why it ends. */
export function track(stream: ServerChannel, s: SshSession): () => void {
  const entry = {
    end: (message: string) => {
      if (!stream.writable) return;
      stream.stderr.write(`\r\ngatehouse: ${message}\r\n`);
      stream.exit(255);
      stream.end();
    },
  };
  s.channels.add(entry);
  stream.once("close", () => s.channels.delete(entry));
  return () => s.channels.delete(entry);
}
