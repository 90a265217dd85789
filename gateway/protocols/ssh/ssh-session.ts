import type { Client, ClientChannel, PseudoTtyOptions, ServerChannel } from "ssh2";
import type { GatewayDeps } from "../../gateway-deps";
import { sessionEvent, type SessionContext, type SessionEventInput } from "../../../core/audit/audit-event";
import type { Recorder } from "../../../core/recordings/recorder";
import type { CommandGuard } from "../../pipeline/shell-lines/command-guard";
import { StreamTextMasker } from "../../../core/masking/stream-text-masker";
import type { RefusalBudget } from "./refusal-budget";

/** What the channels of one SSH client connection share. */
export type SshSession = {
  deps: GatewayDeps;
  ctx: SessionContext;
  /** The gateway's connection to the target; rejects with a message for the client when it cannot be had. */
  target: Promise<Client>;
  guard: CommandGuard;
  /** The session's recording, started on first use (null: recording is off for this connection); rejects when it cannot be recorded. */
  recorder: (size: { cols: number; rows: number }) => Promise<Recorder | null>;
  /** Masks text for the audit trail with the connection's detectors. */
  maskText: (text: string) => string;
  /** The connection's detectors on a text, null when nothing matched; null itself when the session has none (exempt, no rules). */
  scanOutput: ((text: string) => string | null) | null;
  /** Open channels, so a kill reaches each terminal. */
  channels: Set<{ end: (message: string) => void }>;
  bytes: { in: number; out: number };
  /** Bounds the events of refusals a client repeats (see RefusalBudget). */
  refusals: RefusalBudget;
  /** Settles when the client's connection closes. */
  gone: Promise<void>;
};

/**
 * Queues an SSH event and journals it at once: callers send the client what the event is about
 * (an exit status, a refusal) right after, in the same synchronous code, and the socket may hand
 * that to the kernel before a microtask could journal it. SSH events come one per command, so one
 * write each costs little.
 */
export function audit(s: SshSession, e: SessionEventInput): void {
  const mask = (t: string | null | undefined) => (t != null ? s.maskText(t) : t);
  s.deps.audit.write(sessionEvent(s.ctx, e, mask));
  s.deps.audit.syncPending();
}

/** A refusal's event, unless the connection has had its share of them (then only counted). */
export function auditRefused(s: SshSession, e: Parameters<typeof audit>[1]): void {
  if (s.refusals.take(e.action)) audit(s, e);
}

export type PtyRequest = PseudoTtyOptions & { rows: number; cols: number; term?: string };

/** What the client reads when its command's channel on the target ends without an exit status. */
export const TARGET_LOST = "gatehouse: the connection to the target was lost (no exit status came back)";

export type TargetExit = { code: number | null; signal: string | null };
const exits = new WeakMap<ClientChannel, TargetExit>();

/**
 * Records a target channel's exit status from the moment it opens: the status can arrive before the
 * bridge is built (a recording that is slow to start), and ssh2 does not replay it.
 */
export function watchExit(target: ClientChannel): ClientChannel {
  const exit: TargetExit = { code: null, signal: null };
  exits.set(target, exit);
  target.on("exit", (code: number | null, signal?: string) => {
    exit.code = typeof code === "number" ? code : null;
    exit.signal = signal ?? null;
  });
  return target;
}

/** Client -> target EOF, target -> client data, exit status, and close, in the order SSH expects. */
export function bridge(
  client: ServerChannel,
  target: ClientChannel,
  s: SshSession,
  // maskOutput: which of the output streams go through the connection's detectors ("stderr": a file transfer's, whose standard output is its protocol).
  taps: { output?: (b: Buffer) => void; maskOutput?: "all" | "stderr"; beforeExit?: (exit: { code: number | null; signal: string | null }) => void } = {},
): Promise<{ code: number | null; signal: string | null }> {
  const exit = exits.get(target) ?? exits.get(watchExit(target))!;
  return new Promise((resolve) => {
    target.on("data", (b: Buffer) => {
      s.bytes.out += b.length;
      taps.output?.(b);
    });
    target.stderr.on("data", (b: Buffer) => {
      s.bytes.out += b.length;
      taps.output?.(b);
    });
    // Terminal and command output reach the client with the connection's detectors applied.
    const maskers = [target, target.stderr].map((from, i) => {
      const to = i === 0 ? client : client.stderr;
      if (!s.scanOutput || !taps.maskOutput || (i === 0 && taps.maskOutput === "stderr")) return (from.pipe(to, { end: false }), null);
      const m = new StreamTextMasker(s.scanOutput, (b) => {
        if (!to.write(b)) {
          from.pause();
          to.once("drain", () => from.resume());
        }
      });
      from.on("data", (b: Buffer) => m.push(b));
      return m;
    });
    // ssh2 closes the target's channel once its output has been read, while standard error may still
    // hold data paused by the client's back-pressure: the command ends after both (or when the client goes).
    const stderrRead = new Promise<void>((done) => {
      target.stderr.once("end", done);
      client.once("close", done);
    });
    const finish = async () => {
      if (!target.stderr.readableEnded) await stderrRead;
      for (const m of maskers) m?.flush();
      // The command's audit event is journaled before its exit status can reach the client.
      try {
        taps.beforeExit?.(exit);
      } catch (err) {
        // The command has run: its exit status is the client's whatever happened to the event.
        s.deps.log(`ssh: the audit event of a command in ${s.ctx.sessionId} could not be written: ${(err as Error).message}`);
      }
      const end = () => {
        if (!client.writable) return;
        if (exit.code !== null) client.exit(exit.code);
        else if (exit.signal) client.exit(exit.signal.replace(/^SIG/, ""), false, "");
        else client.exit(255);
        client.end();
      };
      // No exit status came back: the target's connection went away mid-command (or it closed the
      // channel without one). The client is told, as ssh tells of a lost connection, not left with a bare 255.
      if (exit.code === null && !exit.signal && client.writable && client.stderr.writable) client.stderr.write(`\r\n${TARGET_LOST}\r\n`);
      // Ending the channel waits for its own output still queued for the client's window, not for
      // standard error's (a separate stream in ssh2): that is sent first, or it would be cut off.
      const stderr = client.stderr;
      if (stderr.writable && stderr.writableLength > 0) {
        stderr.once("finish", end);
        stderr.end();
      } else end();
    };
    target.on("close", () =>
      finish()
        .catch((err: Error) => s.deps.log(`ssh: ending a channel of ${s.ctx.sessionId} failed: ${err.message}`))
        .finally(() => resolve({ ...exit })),
    );
    client.on("close", () => target.close());
  });
}
