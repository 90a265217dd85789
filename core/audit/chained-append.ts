import type pg from "pg";
import type { AuditEvent } from "./audit-event";
import { chainHash, checkpointParams, INSERT_CHECKPOINT_SQL } from "./audit-chain";
import { STREAM_HEAD_SQL, toRow } from "./audit-writer";
import { INSERT_EVENTS_SQL, insertParams } from "./event-store";

// The streams of events written outside a gateway: by the console (Next.js server) and by the CLI.
// Why one shared stream per writer kind, extended under a row-level lock, rather than a stream per
// process as the gateway has: these writers have no journal and no long life (a CLI run lasts a
// command; the console may run as several processes, and its dev server reloads modules), so a
// stream per process would leave one short chain per command or reload, each with an unprovable
// tail. Their events are human-paced (a form saved, a command run), so taking the stream's lock
// for each event costs nothing anyone can feel, while the gateways' data path never touches it.
// The names cannot clash with a gateway's: GATEHOUSE_INSTANCE may not start with "gatehouse:".
export const CONSOLE_STREAM = "gatehouse:console";
export const CLI_STREAM = "gatehouse:cli";
export const RESERVED_STREAM_PREFIX = "gatehouse:";

/**
 * Appends one event to a shared stream: in one transaction, under an advisory lock on the stream
 * (held until commit, so two writers queue and neither reads a head the other is about to move), it
 * reads the stream's head, stores the event with the next seq and its hash chained on the head's,
 * and a signed checkpoint at it, so that deleting the newest events shows too. Returns the event's id.
 */
export async function appendChainedEvent(pool: pg.Pool, key: Buffer, stream: string, e: Omit<AuditEvent, "at"> & { at?: Date }): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock(hashtext('gatehouse audit stream'), hashtext($1))", [stream]);
    const head = (await client.query<{ seq: string; hash: string | null }>(STREAM_HEAD_SQL, [stream])).rows[0];
    const seq = head ? Number(head.seq) + 1 : 1;
    const row = toRow({ ...e, at: e.at ?? new Date() }, stream, seq);
    const hash = chainHash(head?.hash ?? "", row);
    await client.query(INSERT_EVENTS_SQL, insertParams([{ ...row, hash }]));
    const { rows } = await client.query<{ id: string }>("select id from audit_events where instance = $1 and seq = $2", [stream, seq]);
    if (!rows[0]) throw new Error(`audit stream ${stream}: seq ${seq} was not stored`);
    await client.query(INSERT_CHECKPOINT_SQL, checkpointParams(key, { instance: stream, seq, hash, kind: "chain", at: new Date() }));
    await client.query("commit");
    return Number(rows[0].id);
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
