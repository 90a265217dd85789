import type { PgError } from "./pg-error";

/** A refusal, with the kind of statement it refused (for the audit trail). */
export type Refusal = { error: PgError; kind: string };

/** A refusal of a client message, with the message to send the target instead. */
export type GuardRefusal = { refusal: Refusal; replacement: Buffer };

/**
 * A message held for a human decision. `start` gets a way to tell the client (a NOTICE) and
 * resolves with null to forward the message as sent, or with a refusal; `cancel` says nobody
 * waits any more (the client went away); `withdraw` is the client's CancelRequest (start then
 * resolves with the usual 57014 refusal).
 */
export type GuardHold = { hold: { start: (tellClient: (msg: Buffer) => void) => Promise<GuardRefusal | null>; cancel: (why: string) => void; withdraw: () => void } };

/** Judges a Query, Parse, Bind or FunctionCall message: pass (null), refuse, or hold. */
export type FrontendGuard = (type: number, text: string, buf: Buffer, start: number, end: number) => GuardRefusal | GuardHold | null;

/**
 * Rewrites what the target sends (masking): sees every client message first, then each backend
 * message before the statement tracker does. `onBackend` returns a replacement, undefined to pass
 * the message as it is, or a promise: the target's stream is held (paused, the rest of the chunk
 * kept in order) until it settles, then the message is offered again.
 */
export type BackendFilter = {
  /** May return messages the gateway sends the target right before this one (their answers are the filter's, not the client's). */
  onFrontend(type: number, buf: Buffer, start: number, end: number): Buffer | undefined | void;
  onBackend(type: number, buf: Buffer, start: number, end: number): Buffer | undefined | Promise<void>;
  /**
   * True when the next DataRow, and those right after it, would be passed as they are (nothing to
   * mask or count in the current result): the relay then forwards the run without offering each row.
   * Without it, every row is offered.
   */
  rowsPass?(): boolean;
};

// What the target is sent in place of a refused text: it fails in the target's parser, runs nothing.
export const REFUSED_TEXT = "GATEHOUSE_REFUSED_THIS_STATEMENT";

// FunctionCall of OID 0, no arguments, text result: the target answers "function does not exist".
export const REFUSED_FUNCTION_CALL = Buffer.from([0x46, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/**
 * A hold, then what `next` says of the same message once the hold lets it pass: a guard that held a
 * message (masking, looking up the views it writes through) must not skip the ones after it (the
 * policy, which may hold it for review in turn).
 */
export function thenJudge(first: GuardHold, next: () => GuardRefusal | GuardHold | null): GuardHold {
  let inner: GuardHold["hold"] | null = null;
  let cancelled = false;
  let withdrawn = false;
  return {
    hold: {
      start: async (tellClient) => {
        const verdict = await first.hold.start(tellClient);
        // A refusal stands; a client that went away waits for nothing more (the relay has ended).
        if (verdict || cancelled) return verdict;
        const after = next();
        if (!after || "refusal" in after) return after;
        inner = after.hold;
        const outcome = inner.start(tellClient);
        if (withdrawn) inner.withdraw();
        return outcome;
      },
      cancel: (why) => {
        cancelled = true;
        first.hold.cancel(why);
        inner?.cancel(why);
      },
      withdraw: () => {
        withdrawn = true;
        first.hold.withdraw();
        inner?.withdraw();
      },
    },
  };
}
