import { randomInt } from "node:crypto";
import { serialize } from "pg-protocol";
import { openTargetSocket, type PgTarget } from "./target-socket";

type Entry = {
  target: PgTarget;
  connectionName: string;
  pid: number;
  secret: number;
  /** Answers the cancel in the gateway when it can (a statement held for review): true when it did. */
  local?: () => boolean;
};

/**
 * Maps the cancel keys the gateway hands to clients to the target backend's real keys, so that a
 * client's CancelRequest (Ctrl-C in psql) reaches the right backend and nothing else.
 */
export class CancelRegistry {
  private readonly entries = new Map<string, Entry>();

  register(entry: Entry): { pid: number; secret: number; release: () => void; onCancel: (local: () => boolean) => void } {
    let pid: number, secret: number, k: string;
    do {
      pid = randomInt(1, 0x7fffffff);
      secret = randomInt(-0x80000000, 0x7fffffff);
      k = `${pid}:${secret}`;
    } while (this.entries.has(k));
    this.entries.set(k, entry);
    return { pid, secret, release: () => this.entries.delete(k), onCancel: (local) => void (entry.local = local) };
  }

  /** Forwards a cancel; unknown keys are ignored silently, as PostgreSQL does. */
  async cancel(pid: number, secret: number): Promise<boolean> {
    const e = this.entries.get(`${pid}:${secret}`);
    if (!e) return false;
    // A statement the gateway holds is not on the target: withdrawing it is the whole cancel.
    if (e.local?.()) return true;
    await sendCancel(e.target, e.connectionName, e.pid, e.secret);
    return true;
  }
}

/** A CancelRequest for the target backend `pid` (its real key): the gateway's own, or a client's forwarded. */
export async function sendCancel(target: PgTarget, connectionName: string, pid: number, secret: number): Promise<void> {
  const socket = await openTargetSocket(target, connectionName);
  socket.on("error", () => {});
  socket.end(serialize.cancel(pid, secret));
}
