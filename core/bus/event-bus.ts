import pg from "pg";
import { sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";

export type BusTopic = "keys.revoked" | "sessions.kill" | "grants.changed" | "policies.changed" | "masking.changed" | "reviews.decided" | "access.revoked";
export type BusEvent = { id: number; topic: BusTopic; payload: Record<string, unknown> };

const CHANNEL = "gatehouse_bus";

/** Publishes a live event to every gateway instance: a row (the truth) plus a NOTIFY (the wake-up). */
export async function publish(db: Db, topic: BusTopic, payload: Record<string, unknown>): Promise<void> {
  await db.execute(sql`with e as (insert into bus_events (topic, payload) values (${topic}, ${JSON.stringify(payload)}::jsonb) returning id)
    select pg_notify(${CHANNEL}, (select id from e)::text)`);
}

/**
 * Delivers bus events in order to `onEvent`. Polls the table (every `pollMs`) and, where the
 * database supports LISTEN across connections (a real Postgres; not the embedded PGlite), also
 * polls as soon as a NOTIFY arrives, so events usually land within milliseconds.
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
        const res = await db.execute<{ id: string; topic: BusTopic; payload: Record<string, unknown> }>(
          sql`select id::text, topic, payload from bus_events where id > ${last} order by id limit 500`,
        );
        for (const r of res.rows) {
          last = Number(r.id);
          onEvent({ id: last, topic: r.topic, payload: r.payload });
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

  let listener: pg.Client | undefined;
  if (!databaseUrl.includes("host=%2F") && !databaseUrl.includes("host=/")) {
    listener = new pg.Client({ connectionString: databaseUrl, application_name: "gatehouse-bus" });
    listener.on("error", () => {});
    try {
      await listener.connect();
      await listener.query(`listen ${CHANNEL}`);
      listener.on("notification", () => void poll());
    } catch {
      listener = undefined; // polling alone still delivers
    }
  }
  return async () => {
    clearInterval(timer);
    await listener?.end().catch(() => {});
  };
}
