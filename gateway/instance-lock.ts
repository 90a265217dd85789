import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import type pg from "pg";
import type { Db } from "../drizzle/client";

// Two gateways with the same GATEHOUSE_INSTANCE would interleave one audit journal and one hash
// chain (and close each other's sessions as leftovers), so a second one refuses to start. Two locks:
// - a lock file in the instance's journal folder, for two processes sharing a data folder;
// - a lease row in the shared database (gateway_instances), for instances on different hosts (or
//   with different data folders) sharing one database. The holder refreshes it every HEARTBEAT_MS.
// A lease whose holder is gone does not block a restart: on the same host a dead holder process is
// seen at once (pid and process start time); from another host, a lease whose heartbeat stops is
// taken over LEASE_TTL_MS after its last beat, and a starting gateway waits that long for it (it
// refuses as soon as the heartbeat moves on: the holder is alive).
const HEARTBEAT_MS = 5_000;
const LEASE_TTL_MS = 20_000;

/** Whether another gateway instance than `self` has beaten its lease within the lease's lifetime (so may be running). */
export async function otherInstancesAlive(db: Db, self: string): Promise<boolean> {
  const rows = await db.execute(sql`select 1 from gateway_instances where instance <> ${self} and heartbeat_at > now() - make_interval(secs => ${LEASE_TTL_MS / 1000}) limit 1`);
  return rows.rows.length > 0;
}

/** Who holds (or wants) an instance id: the process, identified across pid reuse by its start time. */
export type Holder = { host: string; pid: number; procStart: string };

export type InstanceLock = { release: () => Promise<void> };

export class DuplicateInstanceError extends Error {}

/** This process's start time on Linux (clock ticks since boot, /proc/<pid>/stat field 22); "" elsewhere. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

export const thisProcess = (): Holder => ({ host: hostname(), pid: process.pid, procStart: processStart(process.pid) });

/** Whether a process of this host is still the one that took a lock (a reused pid is another process). */
function alive(h: Pick<Holder, "pid" | "procStart">): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = processStart(h.pid);
  return !h.procStart || !now || now === h.procStart;
}

const fix = (instance: string) => `stop the other gateway, or give this one its own instance id (GATEHOUSE_INSTANCE=<a name unique among running gateways>; today "${instance}")`;

/** Takes the instance id for this process (the lock file, then the database lease); throws DuplicateInstanceError when another process holds it. */
export async function lockInstance(opts: {
  pool: pg.Pool;
  instance: string;
  journalDir: string;
  log: (m: string) => void;
  self?: Holder;
  ttlMs?: number;
  heartbeatMs?: number;
}): Promise<InstanceLock> {
  const self = opts.self ?? thisProcess();
  const releaseFile = lockFile(path.join(opts.journalDir, encodeURIComponent(opts.instance)), opts.instance, self);
  let lease: InstanceLock;
  try {
    lease = await leaseInstance({ ...opts, self });
  } catch (err) {
    releaseFile();
    throw err;
  }
  return {
    async release() {
      await lease.release();
      releaseFile();
    },
  };
}

/** The lock file `<journal folder>/owner.lock` ({host, pid, procStart}); a file left by a dead process is taken over. */
function lockFile(folder: string, instance: string, self: Holder): () => void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = path.join(folder, "owner.lock");
  const mine = JSON.stringify(self);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, mine);
      closeSync(fd);
      return () => {
        // Only our own lock goes (a takeover after a lost lease must not be undone by us).
        if (readText(file) === mine) unlinkSync(file);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const text = readText(file);
    let other: Holder | null = null;
    try {
      other = JSON.parse(text) as Holder;
    } catch {
      // A torn write (killed while writing it): nobody holds it.
    }
    if (other && other.host === self.host && alive(other))
      throw new DuplicateInstanceError(`gateway instance "${instance}" is already running on this host (pid ${other.pid}, lock ${file}): ${fix(instance)}`);
    // Stale: moved aside atomically, so of two processes taking it over at once, one moves it and the other retries and finds the winner's lock.
    try {
      renameSync(file, `${file}.stale-${randomBytes(4).toString("hex")}`);
    } catch {
      // Someone else moved it first.
    }
  }
  throw new DuplicateInstanceError(`gateway instance "${instance}": could not take its lock file ${file}: ${fix(instance)}`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

type LeaseRow = Holder & { token: string; age_ms: number; heartbeat_at: Date };

/** The lease row in gateway_instances, taken in a transaction (row lock) and refreshed every heartbeat until released. */
async function leaseInstance(opts: { pool: pg.Pool; instance: string; log: (m: string) => void; self: Holder; ttlMs?: number; heartbeatMs?: number }): Promise<InstanceLock> {
  const { pool, instance, self, log } = opts;
  const ttl = opts.ttlMs ?? LEASE_TTL_MS;
  const token = randomBytes(16).toString("hex");
  let firstSeen: LeaseRow | null = null;
  let waitingLogged = false;
  for (;;) {
    const held = await tryLease(pool, instance, token, self, ttl);
    if (!held) break;
    // The holder's heartbeat moved on since we first looked: it is alive.
    if ((firstSeen && (held.token !== firstSeen.token || held.heartbeat_at.getTime() !== firstSeen.heartbeat_at.getTime())) || (held.host === self.host && alive(held)))
      throw new DuplicateInstanceError(
        `gateway instance "${instance}" is already running (host ${held.host}, pid ${held.pid}, its lease in the database renewed ${Math.round(held.age_ms / 1000)} s ago): ${fix(instance)}`,
      );
    firstSeen ??= held;
    if (!waitingLogged)
      log(
        `instance "${instance}" is leased by host ${held.host} pid ${held.pid}, silent for ${Math.round(held.age_ms / 1000)} s: waiting up to ${Math.ceil((ttl - held.age_ms) / 1000)} s for its lease to expire`,
      );
    waitingLogged = true;
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(50, ttl - held.age_ms + 10))));
  }
  let lost = false;
  const timer = setInterval(() => {
    pool
      .query("update gateway_instances set heartbeat_at = now() where instance = $1 and token = $2", [instance, token])
      .then((r) => {
        if (r.rowCount === 0 && !lost)
          log(`instance "${instance}": another process took over this instance's lease (this one was silent too long): two gateways now share one audit stream; stop one of them`);
        lost = r.rowCount === 0;
      })
      .catch((err: Error) => log(`instance "${instance}": lease heartbeat failed: ${err.message.slice(0, 200)}`));
  }, opts.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await pool.query("delete from gateway_instances where instance = $1 and token = $2", [instance, token]).catch(() => {});
    },
  };
}

/** Takes the lease when it is free or stale; otherwise returns its holder. */
async function tryLease(pool: pg.Pool, instance: string, token: string, self: Holder, ttlMs: number): Promise<LeaseRow | null> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const ins = await client.query("insert into gateway_instances (instance, token, host, pid, proc_start) values ($1, $2, $3, $4, $5) on conflict (instance) do nothing", [
      instance,
      token,
      self.host,
      self.pid,
      self.procStart,
    ]);
    if (ins.rowCount === 1) {
      await client.query("commit");
      return null;
    }
    const { rows } = await client.query<LeaseRow>(
      `select token, host, pid, proc_start as "procStart", heartbeat_at, (extract(epoch from now() - heartbeat_at) * 1000)::float8 as age_ms
       from gateway_instances where instance = $1 for update`,
      [instance],
    );
    const held = rows[0];
    const stale = !held || held.age_ms > ttlMs || (held.host === self.host && !alive(held));
    if (!stale) {
      await client.query("rollback");
      return held;
    }
    await client.query(
      `insert into gateway_instances (instance, token, host, pid, proc_start) values ($1, $2, $3, $4, $5)
       on conflict (instance) do update set token = $2, host = $3, pid = $4, proc_start = $5, started_at = now(), heartbeat_at = now()`,
      [instance, token, self.host, self.pid, self.procStart],
    );
    await client.query("commit");
    return null;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
