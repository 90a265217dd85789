import { randomUUID } from "node:crypto";
import { publish, type Bus } from "../../../core/bus/event-bus";
import type { Db } from "../../../drizzle/client";
import type { Dial } from "../../connector/dial";
import { otherInstancesAlive } from "../../instance-lock";
import { MysqlError, parseErr } from "./handshake-messages";
import { Com, Err } from "./protocol-constants";
import { framePacket } from "./packet-codec";
import { PacketChannel } from "./packet-channel";
import { loginToTarget, type MysqlTarget } from "./target-login";
import type { KillAnswer, ThreadRegistry } from "./thread-registry";

const ANSWER_WITHIN_MS = 3_000;
/** Asks per second this instance sends at most (each is a bus row): past it, an unknown id is refused at once. */
const ASKS_PER_SECOND = 20;
const TIMEOUT_MS = 10_000;

/**
 * `KILL [QUERY] <id>` for a session another gateway instance holds (a load balancer sent the
 * killing connection elsewhere, as the mysql client's Ctrl-C opens a new one): the instance that
 * does not know the id asks every instance over the bus; the holder checks it is the same identity
 * on the same connection, withdraws a held statement or kills the target thread from a connection
 * of its own, and answers. No answer within 3 s: "Unknown thread id", as for an id nobody holds;
 * at once when no other instance's lease is alive (a single gateway has nobody to ask).
 */
export class RemoteKills {
  private readonly waiting = new Map<string, (a: { ok: boolean; message?: string }) => void>();
  private second = 0;
  private asked = 0;

  constructor(
    private readonly db: Db,
    private readonly instance: string,
    private readonly threads: ThreadRegistry,
  ) {}

  subscribe(bus: Bus): void {
    bus.on("mysql.kill", (p) => {
      if (p.from === this.instance) return;
      const t = this.threads.get(p.gatewayId);
      if (!t || t.connectionId !== p.connectionId || t.identityId !== p.identityId) return;
      const run = p.query && t.withdrawHeld() ? Promise.resolve() : t.killOnTarget(p.query);
      void run.then(
        () => publish(this.db, "mysql.kill.done", { requestId: p.requestId, ok: true }),
        (err: Error) => publish(this.db, "mysql.kill.done", { requestId: p.requestId, ok: false, message: err.message }),
      );
    });
    bus.on("mysql.kill.done", (p) => this.waiting.get(p.requestId)?.(p));
  }

  async ask(gatewayId: number, query: boolean, who: { connectionId: string; identityId: string }): Promise<KillAnswer> {
    const now = Math.floor(Date.now() / 1000);
    if (now !== this.second) [this.second, this.asked] = [now, 0];
    const unknown = { error: new MysqlError(Err.NoSuchThread, `Unknown thread id: ${gatewayId}`) };
    if (++this.asked > ASKS_PER_SECOND) return unknown;
    // No other instance whose lease is alive: nobody to ask (a lease table that cannot be read: ask anyway).
    if (!(await otherInstancesAlive(this.db, this.instance).catch(() => true))) return unknown;
    const requestId = randomUUID();
    const answered = new Promise<{ ok: boolean; message?: string } | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), ANSWER_WITHIN_MS);
      this.waiting.set(requestId, (a) => (clearTimeout(timer), resolve(a)));
    });
    try {
      await publish(this.db, "mysql.kill", { gatewayId, query, connectionId: who.connectionId, identityId: who.identityId, requestId, from: this.instance });
      const a = await answered;
      if (!a) return unknown;
      return a.ok ? { done: true } : { error: new MysqlError(Err.NoSuchThread, `KILL of thread ${gatewayId} failed on the gateway instance holding it: ${a.message}`) };
    } finally {
      this.waiting.delete(requestId);
    }
  }
}

/** Kills (the query of) target thread `thread` from a connection of the gateway's own, with the connection's credentials. */
export async function killTargetThread(dial: Dial, t: MysqlTarget, thread: number, query: boolean): Promise<void> {
  const session = await loginToTarget(dial, t, { capabilities: 0, charset: 33, database: null, attributes: null }, false);
  const channel = new PacketChannel(session.socket, 1 << 16);
  try {
    session.socket.write(framePacket(Buffer.concat([Buffer.from([Com.Query]), Buffer.from(`KILL ${query ? "QUERY " : ""}${thread}`)]), 0).bytes);
    const answer = await channel.next(TIMEOUT_MS);
    if (answer.payload[0] === 0xff) throw new Error(parseErr(answer.payload).message);
  } finally {
    session.socket.destroy();
  }
}
