import type { Duplex } from "node:stream";
import { serialize } from "pg-protocol";
import { MessageFramer, type MessageRun } from "./framer";
import { SegmentWriter } from "./segment-writer";
import { PgError } from "./pg-error";
import { Backend, Frontend, SqlState } from "./message-codes";
import { readErrorFields } from "./backend-messages";
import type { StatementTracker } from "./statement-tracker";
import type { BackendFilter, FrontendGuard, GuardHold, GuardRefusal } from "./guard-types";
import { MessageDeadline, type BufferAccount } from "../../pipeline/message-limits";

/** `target`: the target's socket, handed back (paused, the relay's handlers off) when the session ended cleanly and the relay was asked to keep it (`reuse`). */
export type RelayEnd = { reason: string; failed: boolean; bytesIn: number; bytesOut: number; target?: Duplex };

/**
 * Relays an authenticated client and its target after start-up. Both directions are framed into
 * whole messages (for the statement tracker); untouched runs are forwarded as the views they
 * arrived in, one write per chunk, and each side pauses while the other cannot take more.
 */
export class PgRelay {
  bytesIn = 0; // client -> target
  bytesOut = 0; // target -> client
  private ended = false;
  private clientTerminated = false;
  private resolveEnd!: (e: RelayEnd) => void;
  readonly done: Promise<RelayEnd> = new Promise((r) => (this.resolveEnd = r));
  // While a message is held for review, the client's later messages wait here, in order, and the
  // client socket is paused so that they stay few.
  private holding: GuardHold["hold"] | null = null;
  private readonly backlog: Buffer[] = [];
  private readonly toTarget = new SegmentWriter();
  private readonly toClient = new SegmentWriter();
  private readonly visitClient: (type: number, buf: Buffer, start: number, end: number) => void;
  private readonly visitTarget: (type: number, buf: Buffer, start: number, end: number) => void;
  // While the filter waits (for the target's catalog), the target's later messages wait here, in order.
  private targetBacklog: Buffer[] | null = null;
  private readonly fromClient: MessageFramer;
  private readonly idleSessionMs: number;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastTraffic = 0;
  private readonly buffers: BufferAccount | undefined;
  private readonly deadline: MessageDeadline | undefined;
  // Kept for reuse (target-pool.ts): the client's Terminate is withheld from the target, and the
  // session must have ended idle: the last ReadyForQuery said 'I', nothing was sent after it.
  private readonly reuse: { parameters: Map<string, string>; status: "I" | "T" | "E" } | undefined;
  private lastReadyStatus = 0;
  private quietSinceReady = true;
  private targetFatal = false;
  private readonly fromTarget: MessageFramer;
  /** A result's DataRows that the filter would pass as they are: forwarded as one range, not offered one by one. */
  private readonly passingRows: MessageRun;
  /** Takes the relay's handlers off the target, when it is handed back for reuse. */
  private readonly targetDetachers: Array<() => void> = [];

  constructor(
    private readonly client: Duplex,
    private readonly target: Duplex,
    private readonly tracker: StatementTracker,
    maxMessageBytes: number,
    guard?: FrontendGuard,
    private readonly filter?: BackendFilter,
    /** Called right before the client is sent what the target answered: journals the audit events of what completed (see AuditWriter.syncPending). */
    private readonly beforeClientFlush: () => void = () => {},
    /**
     * The bound on a started message and this connection's account of the gateway-wide buffer budget
     * (gateway/pipeline/message-limits.ts); `reuse`: keep the target for the pool when the session
     * ends cleanly, tracking its reported parameters into `parameters`.
     */
    limits?: { messageTimeoutMs: number; buffers: BufferAccount; idleSessionMs?: number; reuse?: { parameters: Map<string, string>; status: "I" | "T" | "E" } },
  ) {
    this.reuse = limits?.reuse;
    // The status the client was greeted with: a client that leaves without a request leaves the backend as it found it.
    if (this.reuse) this.lastReadyStatus = this.reuse.status.charCodeAt(0);
    const fromClient = (this.fromClient = new MessageFramer(maxMessageBytes));
    // The target is trusted to send sane lengths; its limit only guards memory (1 GiB is PostgreSQL's own field limit).
    const fromTarget = (this.fromTarget = new MessageFramer(1 << 30));
    const { toTarget, toClient } = this;

    this.visitClient = (type: number, buf: Buffer, start: number, end: number) => {
      if (this.holding) return void this.backlog.push(Buffer.from(buf.subarray(start, end)));
      // After a withheld Terminate nothing more is read, as PostgreSQL reads nothing after one.
      if (this.reuse && this.clientTerminated) return;
      if (type === Frontend.Terminate) {
        this.clientTerminated = true;
        if (this.reuse) return;
      } else this.quietSinceReady = false;
      const text = this.tracker.onFrontend(type, buf, start, end);
      const judged = text !== undefined || type === Frontend.FunctionCall || type === Frontend.Bind ? guard?.(type, text ?? "", buf, start, end) : undefined;
      if (!judged) {
        const first = filter?.onFrontend(type, buf, start, end);
        if (first) toTarget.add(first, 0, first.length);
        return toTarget.add(buf, start, end);
      }
      if ("hold" in judged) return this.hold(judged.hold, Buffer.from(buf.subarray(start, end)));
      this.forwardRefused(judged);
    };
    const visitClient = this.visitClient;
    const visitTarget = (this.visitTarget = (type: number, buf: Buffer, start: number, end: number) => {
      if (this.targetBacklog) return void this.targetBacklog.push(Buffer.from(buf.subarray(start, end)));
      const filtered = filter?.onBackend(type, buf, start, end);
      if (filtered instanceof Promise) return this.holdTarget(filtered, Buffer.from(buf.subarray(start, end)));
      if (filtered) {
        // An empty replacement drops the message; another message type (a budget's error for a CommandComplete) is tracked as what it is.
        if (filtered.length === 0) return;
        [buf, start, end, type] = [filtered, 0, filtered.length, filtered[0]];
      }
      if (this.reuse) this.watchTarget(type, buf, start, end);
      const replacement = this.tracker.onBackend(type, buf, start, end);
      if (!replacement) toClient.add(buf, start, end);
      else if (replacement.length) toClient.add(replacement, 0, replacement.length);
    });
    // The tracker and the reuse watch ignore DataRows; only the filter (masking, budgets) looks at them.
    this.passingRows = {
      type: Backend.DataRow,
      passes: () => !this.targetBacklog && (filter ? filter.rowsPass?.() === true : true),
      visit: (buf, start, end) => toClient.add(buf, start, end),
    };

    this.buffers = limits?.buffers;
    this.deadline = limits
      ? new MessageDeadline(
          limits.messageTimeoutMs,
          () => this.fail(new PgError("FATAL", SqlState.ProtocolViolation, `incomplete message: the client started a message and did not finish it within ${limits.messageTimeoutMs / 1000} s`)),
          () => !client.isPaused(),
        )
      : undefined;
    this.idleSessionMs = limits?.idleSessionMs ?? 0;
    this.touch();
    client.on("data", (chunk: Buffer) => {
      // After the end (a refusal the client is still being sent), what it sends is not read into memory.
      if (this.ended) return;
      this.touch();
      this.bytesIn += chunk.length;
      try {
        fromClient.push(chunk, visitClient);
      } catch (err) {
        toTarget.flushTo(target);
        return this.fail(err instanceof PgError ? err : new PgError("FATAL", SqlState.ProtocolViolation, `malformed message: ${(err as Error).message}`));
      }
      if (this.ended) return;
      if (this.reuse && this.clientTerminated) {
        toTarget.flushTo(target);
        return this.finish("client disconnected", false);
      }
      // The part of a message waiting for its rest counts against the gateway-wide budget.
      if (this.buffers && !this.buffers.hold(fromClient.buffered)) {
        toTarget.flushTo(target);
        return this.fail(new PgError("FATAL", SqlState.ProtocolViolation, `message refused: the gateway's buffer for incoming messages is full (GATEHOUSE_BUFFER_BUDGET_BYTES); try again shortly`));
      }
      this.deadline?.update(fromClient.buffered > 0);
      if (!toTarget.flushTo(target)) this.pauseUntilDrain(client, target);
      if (this.holding) client.pause();
    });
    this.onTarget("data", (chunk: Buffer) => {
      this.touch();
      this.bytesOut += chunk.length;
      try {
        fromTarget.push(chunk, visitTarget, this.passingRows);
      } catch (err) {
        return this.fail(new PgError("FATAL", SqlState.ProtocolViolation, `the target sent a malformed message: ${(err as Error).message}`));
      }
      this.beforeClientFlush();
      if (!toClient.flushTo(client)) this.pauseUntilDrain(target, client);
      if (this.targetBacklog) target.pause();
    });

    client.on("error", () => this.finish("client connection error", true));
    client.on("close", () => this.finish(this.clientTerminated ? "client disconnected" : "client vanished without Terminate", !this.clientTerminated));
    this.onTarget("error", (err: Error) => this.targetGone(err));
    this.onTarget("close", () => this.targetGone());
    if (client.destroyed) this.finish("client vanished during start-up", true);
    else if (target.destroyed) this.targetGone();
    client.resume();
    target.resume();
  }

  private onTarget<A extends unknown[]>(event: string, handler: (...args: A) => void): void {
    this.targetDetachers.push(() => this.target.off(event, handler as never));
    this.target.on(event, handler as never);
  }

  /** What reuse needs to know of the target's stream: its transaction status, a FATAL, its reported parameters. */
  private watchTarget(type: number, buf: Buffer, start: number, end: number): void {
    if (type === Backend.ReadyForQuery) {
      this.lastReadyStatus = buf[start + 5];
      this.quietSinceReady = true;
    } else if (type === Backend.ErrorResponse) {
      const { severity } = readErrorFields(buf, start, end);
      if (severity !== "ERROR") this.targetFatal = true;
    } else if (type === Backend.ParameterStatus) {
      const [name, value] = buf.toString("utf8", start + 5, end - 1).split("\0");
      this.reuse!.parameters.set(name, value);
    }
  }

  /** The target can serve another client: the client said Terminate after an idle ReadyForQuery and nothing is pending on either side. */
  private targetReusable(failed: boolean): boolean {
    const t = this.target;
    return (
      !!this.reuse &&
      !failed &&
      this.clientTerminated &&
      this.quietSinceReady &&
      this.lastReadyStatus === 0x49 /* I */ &&
      !this.targetFatal &&
      this.tracker.idle &&
      !this.holding &&
      !this.backlog.length &&
      !this.targetBacklog &&
      this.fromTarget.buffered === 0 &&
      !t.destroyed &&
      t.readable &&
      t.writable &&
      !t.writableNeedDrain
    );
  }

  /** Refused: the target gets a text it rejects, so that its answer (and the skip to Sync) keeps its place in the response stream; the tracker swaps in the gateway's error. */
  private forwardRefused(judged: GuardRefusal): void {
    this.tracker.refuseLast(judged.refusal);
    this.filter?.onFrontend(judged.replacement[0], judged.replacement, 0, judged.replacement.length);
    this.toTarget.add(judged.replacement, 0, judged.replacement.length);
  }

  /** Holds `message` (already tracked) until the decision; the target sees nothing meanwhile. */
  private hold(hold: GuardHold["hold"], message: Buffer): void {
    this.holding = hold;
    this.client.pause();
    const tellClient = (msg: Buffer) => void (this.client.writable && this.client.write(msg));
    hold.start(tellClient).then(
      (verdict) => this.release(message, verdict),
      (err: Error) => this.release(message, null, err),
    );
  }

  private release(message: Buffer, verdict: GuardRefusal | null, failure?: Error): void {
    if (this.ended) return;
    this.holding = null;
    if (failure) return this.fail(new PgError("FATAL", SqlState.InternalError, `the gateway could not wait for the review: ${failure.message}`));
    if (verdict) this.forwardRefused(verdict);
    else {
      this.filter?.onFrontend(message[0], message, 0, message.length);
      this.toTarget.add(message, 0, message.length);
    }
    // What the client sent meanwhile, in order, until the next hold (if any).
    while (!this.holding && this.backlog.length) {
      const m = this.backlog.shift()!;
      this.visitClient(m[0], m, 0, m.length);
    }
    if (!this.toTarget.flushTo(this.target)) this.pauseUntilDrain(this.client, this.target);
    else if (!this.holding) this.client.resume();
  }

  /** Holds the target's stream from `message` on until `wait` settles (see BackendFilter). */
  private holdTarget(wait: Promise<void>, message: Buffer): void {
    this.targetBacklog = [message];
    this.target.pause();
    wait.then(
      () => this.releaseTarget(),
      (err: Error) => this.fail(new PgError("FATAL", SqlState.InternalError, `the gateway could not prepare masking for this result: ${err.message}`)),
    );
  }

  private releaseTarget(): void {
    if (this.ended || !this.targetBacklog) return;
    const held = this.targetBacklog;
    this.targetBacklog = null;
    // A message may hold again: visitTarget then queues the rest behind it.
    for (const m of held) this.visitTarget(m[0], m, 0, m.length);
    this.beforeClientFlush();
    if (!this.toClient.flushTo(this.client)) this.pauseUntilDrain(this.target, this.client);
    else if (!this.targetBacklog) this.target.resume();
  }

  /**
   * The client's CancelRequest while a message is held for review: the review is withdrawn and the
   * message refused with 57014 (see statement-guard). True when there was one to withdraw; then the
   * target, which has not seen it, is not sent a cancel.
   */
  cancelHeld(): boolean {
    if (this.ended || !this.holding) return false;
    this.holding.withdraw();
    return true;
  }

  /**
   * The connection's idle-session timeout (off at 0): restarted by traffic either way; when it runs
   * out with nothing held and no request outstanding, the session ends with 57P05, as PostgreSQL's
   * own idle_session_timeout does. Traffic only notes its time: the one timer, when it fires, waits
   * again for what is left since the last traffic (a timer reset per chunk both ways was a clear and
   * a new timer per message).
   */
  private touch(): void {
    if (this.idleSessionMs <= 0 || this.ended) return;
    this.lastTraffic = Date.now();
    if (!this.idleTimer) this.armIdle(this.idleSessionMs);
  }

  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.ended) return;
      const left = this.lastTraffic + this.idleSessionMs - Date.now();
      if (left > 0) return this.armIdle(left);
      if (this.holding || !this.tracker.idle) return this.armIdle(this.idleSessionMs);
      const seconds = this.idleSessionMs / 1000;
      this.fail(new PgError("FATAL", SqlState.IdleSessionTimeout, `terminating connection due to idle-session timeout: no request for ${seconds} s (this connection's idle session timeout)`));
    }, ms);
    this.idleTimer.unref();
  }

  /** Ends the session with a FATAL message the client can read (revoked key, admin kill...). */
  kill(error: PgError): void {
    this.fail(error);
  }

  private pauseUntilDrain(source: Duplex, dest: Duplex): void {
    source.pause();
    // The target stays paused while the filter holds it; releaseTarget resumes it.
    dest.once("drain", () => (source === this.target && this.targetBacklog ? undefined : source.resume()));
  }

  private targetGone(err?: Error): void {
    if (this.ended) return;
    // After Terminate the server closes first, often before the client does: a clean end, not a failure.
    if (this.clientTerminated) return this.finish("client disconnected", false);
    // A connector's stream says why it ended (its link was lost, the connector reset it); a socket's error is the OS's word.
    const why = err ? `the connection to the target was lost: ${err.message}` : "the target closed the connection";
    this.fail(new PgError("FATAL", SqlState.ConnectionFailure, why, "The gateway keeps serving other sessions; reconnect to start a new one."));
  }

  private fail(error: PgError): void {
    if (this.ended) return;
    if (!this.client.destroyed && this.client.writable) this.client.write(error.toMessage());
    this.finish(error.message, true);
  }

  private finish(reason: string, failed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.deadline?.stop();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const reusable = this.targetReusable(failed);
    this.fromClient.discard();
    this.buffers?.close();
    this.client.pause();
    this.holding?.cancel(reason);
    this.holding = null;
    this.tracker.drainUnfinished(reason);
    this.client.end();
    if (reusable) {
      for (const detach of this.targetDetachers) detach();
      this.target.pause();
    } else {
      // The client's Terminate was withheld for reuse that is not to be: the target gets it now.
      if (this.reuse && this.clientTerminated && this.target.writable) this.target.write(serialize.end());
      this.target.end();
    }
    // Give the final messages a moment to flush, then make sure nothing lingers.
    setTimeout(() => {
      this.client.destroy();
      if (!reusable) this.target.destroy();
    }, 1000).unref();
    this.resolveEnd({ reason, failed, bytesIn: this.bytesIn, bytesOut: this.bytesOut, target: reusable ? this.target : undefined });
  }
}
