import { randomUUID } from "node:crypto";
import pg from "pg";
import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";

/** Every live event, by topic, with what it carries. Publishers and handlers are typed by this map. */
export type BusTopics = {
  /** An identity's keys (identityId), or single keys (keyIds), were revoked: their live sessions end. */
  "keys.revoked": { identityId?: string; keyIds?: string[]; reason?: string };
  /** End one live session (console Kill, CLI, a deleted connection), with the reason its client is told. */
  "sessions.kill": { sessionId: string; reason?: string };
  /** Grants, groups, memberships or a connection changed (informational: access is checked at each sign-in). */
  "grants.changed": { groupId?: string; connectionId?: string; identityId?: string; reason: string };
  "policies.changed": { connectionId: string };
  "masking.changed": { connectionId: string };
  /**
   * A Postgres CancelRequest reached an instance that does not hold its key (a load balancer sent the
   * cancel's new connection elsewhere): the instance that handed out that key forwards it to its target.
   */
  "postgres.cancel": { pid: number; secret: number; from: string };
  /** Exfiltration budgets were added, changed or removed (every instance reloads them). */
  "budgets.changed": { budgetId?: string };
  "reviews.decided": { reviewId: string };
  /** Approved time-bound access was revoked: the sessions that relied on it end. */
  "access.revoked": { identityId: string; connectionId: string };
  /** A MySQL `KILL [QUERY] <id>` reached an instance that does not hold that gateway connection id: the holder acts and answers. */
  "mysql.kill": { gatewayId: number; query: boolean; connectionId: string; identityId: string; requestId: string; from: string };
  "mysql.kill.done": { requestId: string; ok: boolean; message?: string };
  /** A connector's tokens (all, or these) were revoked, or the connector removed: its links drop, its streams fail. */
  "connectors.revoked": { connectorId: string; tokenIds?: string[] };
};
export type BusTopic = keyof BusTopics;
export type BusEvent<T extends BusTopic = BusTopic> = { id: number; topic: T; payload: BusTopics[T] };
export type BusHandler<T extends BusTopic> = (payload: BusTopics[T], event: BusEvent<T>) => void;

const CHANNEL = "gatehouse_bus";

/** Publishes a live event to every gateway instance: a row (the truth) plus a NOTIFY (the wake-up). */
export async function publish<T extends BusTopic>(db: Db, topic: T, payload: BusTopics[T]): Promise<void> {
  await db.execute(sql`with e as (insert into bus_events (topic, payload) values (${topic}, ${JSON.stringify(payload)}::jsonb) returning id)
    select pg_notify(${CHANNEL}, (select id from e)::text)`);
}

/**
 * Delivers bus events in order to `onEvent`. Polls the table (every `pollMs`) and, where the
 * database carries a NOTIFY across connections (a real Postgres, over TCP or a unix socket; not the
 * embedded PGlite), also polls as soon as one arrives, so events usually land within milliseconds.
 */
export async function subscribe(db: Db, databaseUrl: string, onEvent: (e: BusEvent) => void, pollMs = 1000): Promise<() => Promise<void>> {
  const { rows } = await db.execute<{ max: string | null }>(sql`select max(id)::text as max from bus_events`);
  let last = Number(rows[0]?.max ?? 0);
  let polling = false;
  let again = false;
  const poll = async () => {
    if (polling) return void (again = true);
    polling = true;
    try {
      do {
        again = false;
        const res = await db.execute<{ id: string; topic: BusTopic; payload: BusTopics[BusTopic] }>(sql`select id::text, topic, payload from bus_events where id > ${last} order by id limit 500`);
        for (const r of res.rows) {
          last = Number(r.id);
          onEvent({ id: last, topic: r.topic, payload: r.payload } as BusEvent);
        }
        if (res.rows.length === 500) again = true;
      } while (again);
    } catch {
      // The next tick retries; the table keeps every event.
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(poll, pollMs);
  timer.unref();

  // Whether a NOTIFY crosses connections is found by trying, not guessed from the URL: a real
  // PostgreSQL on a unix socket carries it, the embedded PGlite (one shared session) does not; there
  // the poll alone delivers (and start-up waits the probe's second once).
  const listener = await listen(db, databaseUrl, poll);
  return async () => {
    clearInterval(timer);
    await listener?.end().catch(() => {});
  };
}

/** A LISTEN connection that wakes `poll`, once a probe NOTIFY sent from the pool has reached it (within 1 s); else null. */
async function listen(db: Db, databaseUrl: string, poll: () => Promise<void>): Promise<pg.Client | null> {
  const listener = new pg.Client({ connectionString: databaseUrl, application_name: "gatehouse-bus" });
  listener.on("error", () => {});
  const probe = `probe:${randomUUID()}`;
  try {
    await listener.connect();
    const heard = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1000);
      listener.on("notification", (n) => {
        if (n.payload !== probe) return void poll();
        clearTimeout(timer);
        resolve(true);
      });
    });
    await listener.query(`listen ${CHANNEL}`);
    await db.execute(sql`select pg_notify(${CHANNEL}, ${probe})`);
    if (await heard) return listener;
  } catch {
    // polling alone still delivers
  }
  await listener.end().catch(() => {});
  return null;
}

/**
 * The gateway's side of the bus: each module subscribes its own handler for the topics it cares
 * about; one subscription to the table delivers to all of them, in order.
 */
export class Bus {
  private readonly handlers = new Map<BusTopic, Array<(payload: never, event: never) => void>>();

  constructor(private readonly log: (m: string) => void = () => {}) {}

  on<T extends BusTopic>(topic: T, handler: BusHandler<T>): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler as (payload: never, event: never) => void);
    this.handlers.set(topic, list);
  }

  /** Hands one event to its topic's handlers; a handler that throws does not stop the others. */
  deliver(e: BusEvent): void {
    for (const h of this.handlers.get(e.topic) ?? []) {
      try {
        (h as BusHandler<BusTopic>)(e.payload, e);
      } catch (err) {
        this.log(`bus: a handler of ${e.topic} failed: ${(err as Error).message}`);
      }
    }
  }

  /** Starts delivering the events published from now on (see subscribe). */
  listen(db: Db, databaseUrl: string, pollMs?: number): Promise<() => Promise<void>> {
    return subscribe(db, databaseUrl, (e) => this.deliver(e), pollMs);
  }
}
