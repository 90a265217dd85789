import { Backend, Frontend } from "./message-codes";
import { readBind, readExecute, readParse, readQuery, readTargetedName } from "./frontend-messages";
import { readCommandTag, readErrorFields } from "./backend-messages";
import type { Refusal } from "./guard-types";

/** What one client request did: a simple Query (possibly several statements) or one extended-protocol step. */
export type RequestRecord = {
  protocol: "simple" | "extended";
  text: string;
  startedAt: number; // epoch ms
  /** One entry per statement that finished, in order, with the time it finished. */
  completions: { tag: string; rows: number | null; at: number }[];
  error?: { code: string; message: string; at: number };
  /** Set when the gateway refused it: the kind of statement refused (the error says why). */
  refusedKind?: string;
};

/** The request the target is answering now, as the masking filter needs it. */
export type Responding =
  { op: "query"; record: RequestRecord; statementIndex: number } | { op: "execute"; record: RequestRecord; portal: string } | { op: "describe"; kind: "S" | "P"; name: string } | null;

type Pending =
  | { op: "query"; record: RequestRecord; refusal?: Refusal }
  | { op: "execute"; record: RequestRecord; portal: string }
  | { op: "parse"; name: string; text: string; refusal?: Refusal; then?: Outcome[] }
  | { op: "bind"; text: string; names: string[]; refusal?: Refusal; then?: Outcome[] }
  | { op: "fcall"; refusal?: Refusal }
  | { op: "describe"; kind: "S" | "P"; name: string; injected?: true }
  | { op: "close"; name: string; then?: Outcome[] }
  | { op: "sync" };

type Outcome = { done: () => void; failed?: () => void };

function failedOutcome(p: Pending): void {
  if (p.op === "parse" || p.op === "bind" || p.op === "close") p.then?.forEach((o) => o.failed?.());
}

/** What onBackend returns for an answer the client must not see (to a message the gateway sent itself). */
export const SWALLOWED = Buffer.alloc(0);

/**
 * Pairs backend responses with the frontend requests that caused them, so that every statement
 * gets its outcome, duration and row count. Follows the protocol's rule that the server answers
 * in order and, after an error in an extended-protocol batch, skips everything until Sync: what
 * was sent before the error came back, and what the client sends after it (the server reads and
 * ignores every message up to the next Sync, simple queries included).
 */
export class StatementTracker {
  private readonly queue: Pending[] = [];
  private head = 0;
  private readonly statements = new Map<string, string>();
  private readonly portals = new Map<string, string>();
  /** The request tracked last; null when the target will ignore it (skipping to Sync). */
  private last: Pending | null = null;
  /** The target is skipping messages until the next Sync (an extended-protocol request failed). */
  private skipping = false;

  constructor(
    private readonly emit: (r: RequestRecord) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Tracks a frontend message; returns the SQL text of a Query or Parse (decoded once, for the guard too). */
  onFrontend(type: number, buf: Buffer, start: number, end: number): string | undefined {
    this.last = null;
    if (this.skipping) {
      // Ignored by the target: nothing to pair with an answer. Its text is still judged (fail closed).
      if (type !== Frontend.Sync) return type === Frontend.Query ? readQuery(buf, start, end) : type === Frontend.Parse ? readParse(buf, start, end).text : undefined;
      this.skipping = false;
    }
    switch (type) {
      case Frontend.Query: {
        const text = readQuery(buf, start, end);
        this.push({ op: "query", record: this.record("simple", text) });
        return text;
      }
      case Frontend.Parse: {
        const { name, text } = readParse(buf, start, end);
        this.statements.set(name, text);
        this.push({ op: "parse", name, text });
        return text;
      }
      case Frontend.Bind: {
        const { portal, statement } = readBind(buf, start, end);
        const text = this.statements.get(statement) ?? "";
        this.portals.set(portal, text);
        this.push({ op: "bind", text, names: [statement, portal] });
        break;
      }
      case Frontend.Execute: {
        const { portal } = readExecute(buf, start, end);
        this.push({ op: "execute", record: this.record("extended", this.portals.get(portal) ?? ""), portal });
        break;
      }
      case Frontend.Close: {
        const { kind, name } = readTargetedName(buf, start, end);
        (kind === "S" ? this.statements : this.portals).delete(name);
        this.push({ op: "close", name });
        break;
      }
      case Frontend.Describe:
        this.push({ op: "describe", ...readTargetedName(buf, start, end) });
        break;
      case Frontend.Sync:
        this.push({ op: "sync" });
        break;
      case Frontend.FunctionCall:
        this.push({ op: "fcall" });
        break;
    }
  }

  /**
   * The gateway replaced the last request (a Query or Parse) with one the target refuses: when that
   * refusal comes back, the client gets the gateway's own error instead (see onBackend's result).
   */
  refuseLast(refusal: Refusal): void {
    const last = this.last;
    if (last?.op === "query" || last?.op === "parse" || last?.op === "fcall" || last?.op === "bind") last.refusal = refusal;
  }

  /**
   * Runs `done` when the target completes the Parse, Bind or Close just tracked (its ParseComplete,
   * BindComplete or CloseComplete), `failed` when it fails or is skipped (at once if the target is
   * skipping to Sync): a view of the session's statements and portals changes only as the server's does.
   */
  whenDone(done: () => void, failed?: () => void): void {
    if (this.last?.op === "parse" || this.last?.op === "bind" || this.last?.op === "close") (this.last.then ??= []).push({ done, failed });
    else if (this.last === null) failed?.();
  }

  /**
   * The gateway's own Describe of `portal`, to send the target right before the Execute just
   * tracked (the masking must know a result's columns and the client never asked): its answer is
   * the gateway's, never the client's. Undefined when the target will skip that Execute anyway.
   */
  describeFirst(portal: string): Buffer | undefined {
    if (this.last?.op !== "execute" || this.queue[this.queue.length - 1] !== this.last) return undefined;
    this.queue.splice(this.queue.length - 1, 0, { op: "describe", kind: "P", name: portal, injected: true });
    const name = Buffer.from(portal, "utf8");
    const out = Buffer.alloc(7 + name.length);
    out[0] = Frontend.Describe;
    out.writeInt32BE(6 + name.length, 1);
    out[5] = 0x50; // 'P'
    name.copy(out, 6);
    return out;
  }

  /** The request the next backend message answers (read before onBackend consumes it). */
  responding(): Responding {
    const p = this.queue[this.head];
    if (!p) return null;
    if (p.op === "query") return { op: "query", record: p.record, statementIndex: p.record.completions.length };
    if (p.op === "execute" || p.op === "describe") return p;
    return null;
  }

  /**
   * The statement and portal names the client itself gave the request being answered: an error
   * that quotes one back ("portal "p1" does not exist") tells the client nothing it did not send.
   */
  respondingNames(): string[] {
    const p = this.queue[this.head];
    if (p?.op === "bind") return p.names.filter(Boolean);
    if (p?.op === "execute") return p.portal ? [p.portal] : [];
    return (p?.op === "describe" || p?.op === "close" || p?.op === "parse") && p.name ? [p.name] : [];
  }

  /** Tracks a backend message; returns the message to send the client instead, when there is one. */
  onBackend(type: number, buf: Buffer, start: number, end: number): Buffer | undefined {
    const pending = this.queue[this.head];
    switch (type) {
      case Backend.ParseComplete:
      case Backend.BindComplete:
      case Backend.CloseComplete:
        if (pending?.op === "parse" || pending?.op === "bind" || pending?.op === "close") pending.then?.forEach((o) => o.done());
        this.shift();
        break;
      case Backend.RowDescription:
      case Backend.NoData:
        if (pending?.op === "describe") {
          this.shift();
          if (pending.injected) return SWALLOWED;
        }
        break;
      case Backend.CommandComplete:
      case Backend.EmptyQueryResponse:
      case Backend.PortalSuspended: {
        const { tag, rows } = type === Backend.CommandComplete ? readCommandTag(buf, start, end) : { tag: "", rows: null };
        if (pending?.op === "query") pending.record.completions.push({ tag, rows, at: this.now() });
        if (pending?.op === "execute") {
          pending.record.completions.push({ tag, rows, at: this.now() });
          this.emit(pending.record);
          this.shift();
        }
        break;
      }
      case Backend.ErrorResponse:
        return this.onError(pending, buf, start, end);
      case Backend.ReadyForQuery:
        this.onReady();
        break;
    }
  }

  /** Nothing sent is still waiting for the target's answer (the session is idle, as far as requests go). */
  get idle(): boolean {
    return this.head >= this.queue.length;
  }

  /** Requests sent but not answered when the session ends (client vanished, target died). */
  drainUnfinished(reason: string): void {
    for (let i = this.head; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (p.op !== "query" && p.op !== "execute") continue;
      // A query that already failed waits for ReadyForQuery to be written; the client may have gone
      // (node-postgres closes right after the ErrorResponse) before that arrives: write it as it failed.
      p.record.error ??= { code: "08006", message: reason, at: this.now() };
      this.emit(p.record);
    }
    this.queue.length = 0;
    this.head = 0;
  }

  private push(p: Pending): void {
    this.queue.push(p);
    this.last = p;
  }

  private record(protocol: RequestRecord["protocol"], text: string): RequestRecord {
    return { protocol, text, startedAt: this.now(), completions: [] };
  }

  private onError(pending: Pending | undefined, buf: Buffer, start: number, end: number): Buffer | undefined {
    const refusal = pending && (pending.op === "query" || pending.op === "parse" || pending.op === "fcall" || pending.op === "bind") ? pending.refusal : undefined;
    const f = refusal ? { code: refusal.error.code, message: refusal.error.message } : readErrorFields(buf, start, end);
    const error = { code: f.code, message: f.message, at: this.now() };
    const replacement = refusal?.error.toMessage();
    if (pending?.op === "fcall") {
      if (refusal) this.emit({ protocol: "extended", text: "(fast-path function call)", startedAt: error.at, completions: [], error, refusedKind: refusal.kind });
      return replacement;
    }
    if (!pending || pending.op === "sync") return;
    if (pending.op === "query") {
      pending.record.error = error; // the query's entry ends at ReadyForQuery
      if (refusal) pending.record.refusedKind = refusal.kind;
      return replacement;
    }
    if (pending.op === "execute") this.emit({ ...pending.record, error });
    else if (pending.op === "describe" && pending.injected) {
      // The gateway's Describe failed in place of the Execute after it (a portal that does not exist): the client gets the same error.
      const execute = this.queue[this.head + 1];
      if (execute?.op === "execute") this.emit({ ...execute.record, error });
    } else if (pending.op === "parse" || pending.op === "bind") {
      this.emit({ protocol: "extended", text: pending.text, startedAt: error.at, completions: [], error, refusedKind: refusal?.kind });
    }
    // The server now ignores everything up to the next Sync, including what the client has yet to send.
    while (this.head < this.queue.length && this.queue[this.head].op !== "sync") {
      failedOutcome(this.queue[this.head]);
      this.shift();
    }
    if (this.head >= this.queue.length) this.skipping = true;
    return replacement;
  }

  private onReady(): void {
    while (this.head < this.queue.length) {
      const p = this.queue[this.head];
      this.shift();
      if (p.op === "query") {
        this.emit(p.record);
        return;
      }
      if (p.op === "sync" || p.op === "fcall") return;
    }
  }

  private shift(): void {
    this.head++;
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    // Compact now and then instead of Array.shift() on every message.
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
