/**
 * Limits on what a client may make the gateway hold while it receives a message, for every adapter
 * that frames messages itself: a gateway-wide budget for the bytes of partially received messages
 * (a client that would pass it is refused, the others go on), and a deadline for a started message
 * (a client that sends part of a message and stops, or trickles it, is ended).
 */

/** The gateway-wide allowance; each connection holds an account against it. */
export class BufferBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes held in partial messages across the gateway right now. */
  get inUse(): number {
    return this.used;
  }

  account(): BufferAccount {
    return new BufferAccount(this);
  }

  /** @internal */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** @internal */
  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** What one connection holds of the budget. */
export class BufferAccount {
  private held = 0;
  private closed = false;

  constructor(private readonly budget: BufferBudget) {}

  get holding(): number {
    return this.held;
  }

  /** Sets what this connection holds now; false, with nothing changed, when the growth does not fit the budget. */
  hold(bytes: number): boolean {
    // A connection already ended holds nothing, whatever it still reads.
    if (this.closed) return true;
    const delta = bytes - this.held;
    if (delta > 0 && !this.budget.take(delta)) return false;
    if (delta < 0) this.budget.give(-delta);
    this.held = bytes;
    return true;
  }

  close(): void {
    this.hold(0);
    this.closed = true;
  }
}

/**
 * A started message must be complete within `ms`. The clock runs while a message is partial and
 * the gateway is reading the client; while the gateway itself has stopped reading (backpressure, a
 * statement held for review) an expiry gives the client another period instead.
 */
export class MessageDeadline {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ms: number,
    private readonly expire: () => void,
    private readonly reading: () => boolean,
  ) {}

  /** After each chunk: whether a message is partial now. */
  update(partial: boolean): void {
    if (this.ms <= 0) return;
    if (!partial) return this.stop();
    if (!this.timer) this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.reading()) this.expire();
      else this.arm();
    }, this.ms);
    this.timer.unref();
  }
}
