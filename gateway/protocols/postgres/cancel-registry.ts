import { randomInt } from "node:crypto";
import { serialize } from "pg-protocol";
import { openTargetSocket, type PgTarget } from "./target-socket";
import type { Bus } from "../../../core/bus/event-bus";

type Entry = {
  target: PgTarget;
  connectionName: string;
  pid: number;
  secret: number;
  /** Who holds the session (its identity's id): its backend is theirs to signal (see backend-signals.ts). */
  holder?: string;
  /** Answers the cancel in the gateway when it can (a statement held for review): true when it did. */
  local?: () => boolean;
  /** A cancel was sent to the target backend under this key (it may still be on its way). */
  sent?: boolean;
};

/**
 * Maps the cancel keys the gateway hands to clients to the target backend's real keys, so that a
 * client's CancelRequest (Ctrl-C in psql) reaches the right backend and nothing else.
 */
export class CancelRegistry {
  private readonly entries = new Map<string, Entry>();

  /**
   * A client's cancel key for a target backend. `cancelTarget` sends the backend a cancel from the
   * gateway itself (a data budget's cut); `cancelSent` says whether any cancel was sent to it, from the
   * client or the gateway (one still in flight could stop the next client's statement on a reused backend).
   */
  register(entry: Entry): {
    pid: number;
    secret: number;
    release: () => void;
    onCancel: (local: () => boolean) => void;
    cancelTarget: () => Promise<void>;
    cancelSent: () => boolean;
  } {
    let pid: number, secret: number, k: string;
    do {
      pid = randomInt(1, 0x7fffffff);
      secret = randomInt(-0x80000000, 0x7fffffff);
      k = `${pid}:${secret}`;
    } while (this.entries.has(k));
    this.entries.set(k, entry);
    return {
      pid,
      secret,
      release: () => this.entries.delete(k),
      onCancel: (local) => void (entry.local = local),
      cancelTarget: () => cancelBackend(entry),
      cancelSent: () => entry.sent === true,
    };
  }

  /** Whether `pid` is the target backend of a session `holder` holds on the connection, on this instance. */
  heldBy(pid: number, connectionName: string, holder: string): boolean {
    for (const e of this.entries.values()) if (e.pid === pid && e.connectionName === connectionName && e.holder === holder) return true;
    return false;
  }

  /**
   * A cancel that reached this instance with a key another instance handed out goes to the others
   * through the bus (`postgres.cancel`); the one that holds the key forwards it. `publish` is rate
   * limited (a CancelRequest needs no credential, so an unknown key must not cost a database write
   * each): past `perSecond`, unknown keys are dropped, as PostgreSQL ignores them.
   */
  shareWith(bus: Bus, publish: (payload: { pid: number; secret: number; from: string }) => Promise<void>, instance: string, log: (m: string) => void, perSecond = 20): void {
    let windowStart = 0;
    let sent = 0;
    this.forward = (pid, secret) => {
      const now = Date.now();
      if (now - windowStart >= 1000) [windowStart, sent] = [now, 0];
      if (++sent > perSecond) return;
      publish({ pid, secret, from: instance }).catch((err: Error) => log(`postgres: could not pass a cancel to the other instances: ${err.message}`));
    };
    bus.on("postgres.cancel", ({ pid, secret, from }) => {
      if (from === instance) return;
      this.cancelHere(pid, secret).catch((err: Error) => log(`postgres: could not forward a cancel from ${from}: ${err.message}`));
    });
  }

  private forward: ((pid: number, secret: number) => void) | null = null;

  /** Forwards a cancel; a key this instance does not hold goes to the others (shareWith); unknown everywhere, it is ignored silently, as PostgreSQL does. */
  async cancel(pid: number, secret: number): Promise<boolean> {
    if (await this.cancelHere(pid, secret)) return true;
    this.forward?.(pid, secret);
    return false;
  }

  private async cancelHere(pid: number, secret: number): Promise<boolean> {
    const e = this.entries.get(`${pid}:${secret}`);
    if (!e) return false;
    // A statement the gateway holds is not on the target: withdrawing it is the whole cancel.
    if (e.local?.()) return true;
    await cancelBackend(e);
    return true;
  }
}

function cancelBackend(e: Entry): Promise<void> {
  e.sent = true;
  return sendCancel(e.target, e.connectionName, e.pid, e.secret);
}

/** A CancelRequest for the target backend `pid` (its real key): the gateway's own, or a client's forwarded. */
export async function sendCancel(target: PgTarget, connectionName: string, pid: number, secret: number): Promise<void> {
  const socket = await openTargetSocket(target, connectionName);
  socket.on("error", () => {});
  socket.end(serialize.cancel(pid, secret));
}
