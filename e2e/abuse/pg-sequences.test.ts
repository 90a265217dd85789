import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { serialize } from "pg-protocol";
import { psqlAdmin } from "../support/pg-server";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { dataRowFields, WireSession } from "../support/wire-session";
import { rng, type Rng } from "../support/seeded-rng";

// A model-based property test of the gateway's statement and portal tracking (issue 13): random
// sequences of *legal* frontend messages (Parse, Bind, Describe before and after Bind, Execute
// with row limits, Close, Flush without Sync, simple queries in the middle of an extended
// exchange, transactions, errors and the skip-until-Sync that follows) are sent to the real
// Postgres directly and through the gateway, and the answers compared byte for byte. The masked
// column (`items.secret`, a column rule) is read by some statements only: wherever a sequence does
// not read it, the masking must change nothing; where it does, only those values may differ, and
// never reach the client. PROPERTY_SEED replays a run.
const SEED = Number(process.env.PROPERTY_SEED ?? Date.now() % 1_000_000);
const SEQUENCES = Number(process.env.PROPERTY_SEQUENCES ?? 150);
const SECRET = "SECRET-";

type Stmt = { text: string; params: (r: Rng) => string[]; columns: number; types?: number[] };
const none = () => [];
const STATEMENTS: Stmt[] = [
  { text: "select id, label, qty from items order by id", params: none, columns: 3 },
  { text: "select id, label from items where id > $1 order by id", params: (r) => [String(r.int(4))], columns: 2, types: [23] },
  { text: "select $1::text as t, $2::int as n", params: (r) => [r.pick(["a", "", "ünï"]), String(r.int(99))], columns: 2 },
  { text: "select count(*) as n, sum(qty) from items", params: none, columns: 2 },
  { text: "select g, g * 2 as twice from generate_series(1, 6) g", params: none, columns: 2 },
  { text: "insert into scratch values ($1) returning n", params: (r) => [String(r.int(50))], columns: 1 },
  { text: "update scratch set n = n + 1", params: none, columns: 0 },
  { text: "select n from scratch order by n", params: none, columns: 1 },
  { text: "select 1/0", params: none, columns: 1 },
  { text: "values (1, 'one'), (2, 'two')", params: none, columns: 2 },
  { text: "begin", params: none, columns: 0 },
  { text: "commit", params: none, columns: 0 },
  { text: "set application_name = 'seq'", params: none, columns: 0 },
  // The masked column, alone and among plain ones.
  { text: "select id, secret from items order by id", params: none, columns: 2 },
  { text: "select secret, label from items where id = $1", params: (r) => [String(1 + r.int(3))], columns: 2, types: [23] },
  { text: "select label, qty, secret from items where qty >= $1 order by id", params: (r) => [String(r.int(30))], columns: 3 },
];
const QUERIES = [
  "select id, label, qty from items order by id",
  "select 1 as a; select 'two' as b",
  "begin",
  "commit",
  "rollback",
  "select 1/0",
  "",
  "insert into scratch values (7)",
  "copy (select id, label from items order by id) to stdout",
  "select id, secret from items order by id",
  "select label from items where secret like 'SECRET-%' order by id",
];
const STATEMENT_NAMES = ["", "s1", "s2"];
const PORTAL_NAMES = ["", "p1"];

type Step = { label: string; bytes: Buffer };

/** A random legal message sequence, led by a small model of which statements and portals exist. */
function sequence(r: Rng): Step[] {
  const statements = new Map<string, Stmt>();
  const portals = new Set<string>();
  const steps: Step[] = [];
  const known = <T>(names: Iterable<T>, fallback: T): T => {
    const list = [...names];
    return list.length && r.int(10) ? r.pick(list) : fallback;
  };
  for (let i = 0, n = 4 + r.int(20); i < n; i++) {
    let roll = r.int(100);
    // Mostly steps that can succeed (a Bind needs a statement, an Execute a portal); sometimes not, to exercise the errors and the skip to Sync.
    if (roll >= 22 && roll < 42 && statements.size === 0 && r.int(5)) roll = 0;
    if (roll >= 54 && roll < 72 && portals.size === 0 && r.int(5)) roll = statements.size ? 22 : 0;
    if (roll < 22) {
      const name = r.pick(STATEMENT_NAMES);
      const stmt = r.pick(STATEMENTS);
      statements.set(name, stmt);
      const types = stmt.types && r.int(2) ? stmt.types : [];
      steps.push({ label: `Parse ${name || "<unnamed>"} "${stmt.text}"`, bytes: serialize.parse({ name, text: stmt.text, types }) });
    } else if (roll < 42) {
      const statement = known(statements.keys(), "missing");
      const stmt = statements.get(statement);
      const portal = r.pick(PORTAL_NAMES);
      portals.add(portal);
      const values = stmt ? stmt.params(r) : [];
      const binary = stmt && stmt.columns > 0 ? r.pick([[], [], [0], [1], Array.from({ length: stmt.columns }, () => r.int(2))]) : [];
      const bytes = serialize.bind({ portal, statement, values });
      steps.push({ label: `Bind ${portal || "<unnamed>"} <- ${statement || "<unnamed>"} [${values.join(",")}] formats [${binary.join(",")}]`, bytes: withResultFormats(bytes, binary) });
    } else if (roll < 54) {
      const type = r.int(2) ? "S" : "P";
      const name = type === "S" ? known(statements.keys(), "missing") : known(portals, "missing");
      steps.push({ label: `Describe ${type} ${name || "<unnamed>"}`, bytes: serialize.describe({ type, name }) });
    } else if (roll < 72) {
      const portal = known(portals, "missing");
      const rows = r.pick([0, 0, 1, 2]);
      steps.push({ label: `Execute ${portal || "<unnamed>"} rows ${rows}`, bytes: serialize.execute({ portal, rows }) });
    } else if (roll < 77) {
      const type = r.int(2) ? "S" : "P";
      const name = type === "S" ? known(statements.keys(), "s2") : known(portals, "p1");
      if (type === "S") statements.delete(name);
      else portals.delete(name);
      steps.push({ label: `Close ${type} ${name || "<unnamed>"}`, bytes: serialize.close({ type, name }) });
    } else if (roll < 85) {
      steps.push({ label: "Flush", bytes: serialize.flush() });
    } else if (roll < 93) {
      steps.push({ label: "Sync", bytes: serialize.sync() });
      portals.clear(); // Sync ends the implicit transaction and with it the portals
    } else {
      const text = r.pick(QUERIES);
      steps.push({ label: `Query "${text}"`, bytes: serialize.query(text) });
      statements.delete("");
      portals.clear();
    }
  }
  return steps;
}

/**
 * pg-protocol's bind() ends with one result-format code for all columns (count 1, then the code);
 * a client may also send none or one per column. This rewrites that trailing list.
 */
function withResultFormats(bind: Buffer | Uint8Array, formats: number[]): Buffer {
  const b = Buffer.from(bind);
  const bodyEnd = b.length - 4;
  const tail = Buffer.alloc(2 + 2 * formats.length);
  tail.writeInt16BE(formats.length, 0);
  formats.forEach((f, i) => tail.writeInt16BE(f, 2 + 2 * i));
  const out = Buffer.concat([b.subarray(0, bodyEnd), tail]);
  out.writeInt32BE(out.length - 1, 1);
  return out;
}

let t: TestGateway;
let key: string;
let socketPath: string;
let database: string;

beforeAll(async () => {
  t = await startTestGateway();
  const pg = inject("pg");
  database = `seq_${randomBytes(5).toString("hex")}`;
  psqlAdmin(pg, `create database ${database} owner app`);
  psqlAdmin(
    pg,
    [
      "create table items (id int primary key, label text, qty int, secret text)",
      "insert into items values (1, 'alpha', 10, 'SECRET-ALPHA-91'), (2, 'beta', 20, 'SECRET-BETA-92'), (3, 'gamma', 30, null)",
      "alter table items owner to app",
    ],
    database,
  );
  socketPath = path.join(pg.socketDir, `.s.PGSQL.${pg.port}`);
  key = await t.setupAccess({ connection: "sequenced", db: database, identity: "agent-seq" });
  const rules = path.join(tmpdir(), `gatehouse-seq-masking-${randomBytes(4).toString("hex")}.json`);
  writeFileSync(rules, JSON.stringify({ columns: [{ column: "items.secret", style: "redact" }], detectors: { style: "redact" } }));
  const applied = await t.cli("masking", "apply", "sequenced", "-f", rules);
  if (applied.code !== 0) throw new Error(applied.stderr);
});
afterAll(() => t?.close());

async function session(through: "direct" | "gateway"): Promise<WireSession> {
  const s =
    through === "direct"
      ? await WireSession.open({ path: socketPath }, { user: "app", database })
      : await WireSession.open({ host: "127.0.0.1", port: t.pgPort }, { user: "agent-seq", database: "sequenced" }, key);
  s.send(serialize.query("create temp table scratch (n int); select 'scratch'::regclass::oid"));
  const oid = Number(dataRowFields((await s.until((m) => m.type === "D")).body)[0]);
  await s.until((m) => m.type === "Z");
  s.received.length = 0;
  scratchOids.set(s, oid);
  return s;
}

// Each session has its own temp table: its OID in a RowDescription is the one difference expected.
const scratchOids = new WeakMap<WireSession, number>();
function withScratchOidZeroed(body: Buffer, oid: number | undefined): Buffer {
  const out = Buffer.from(body);
  for (let i = 0, at = 2, n = out.readInt16BE(0); i < n; i++) {
    at = out.indexOf(0, at) + 1;
    if (out.readUInt32BE(at) === oid) out.writeUInt32BE(0, at);
    at += 18;
  }
  return out;
}

/** Sends the steps in chunks cut at each Flush and Sync; after a Flush, what the target sent must reach the client without a Sync. */
async function play(direct: WireSession, gateway: WireSession, steps: Step[]): Promise<string | null> {
  let chunk: Buffer[] = [];
  for (const step of steps) {
    chunk.push(step.bytes);
    if (step.label !== "Flush") continue;
    direct.send(Buffer.concat(chunk));
    gateway.send(Buffer.concat(chunk));
    chunk = [];
    await quiet(direct);
    const want = direct.received.length;
    if (want > 0) await gateway.until((_, i) => i === want - 1, 3000).catch(() => {});
    if (gateway.received.length < want) return `after a Flush the gateway delivered ${gateway.received.length} of the ${want} messages the target sent (${gateway.types()} vs ${direct.types()})`;
  }
  // The end: a Sync, then a marker query whatever state the sequence left (an aborted transaction is rolled back).
  const end = Buffer.concat([...chunk, serialize.sync(), serialize.query("rollback"), serialize.query("select 'END' as marker")]);
  direct.send(end);
  gateway.send(end);
  for (const s of [direct, gateway]) {
    const t0 = Date.now();
    try {
      await s.until((m, i) => m.type === "Z" && s.received.slice(0, i).some((d) => d.type === "D" && d.body.includes("END")));
    } catch (e) {
      console.log(
        "DBG",
        s === direct,
        Date.now() - t0,
        s.received.map((m) => m.type + m.body.toString("latin1").slice(0, 30)),
      );
      throw e;
    }
  }
  return null;
}

async function quiet(s: WireSession): Promise<void> {
  for (let seen = -1; seen !== s.received.length;) {
    seen = s.received.length;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The first difference that masking the unread or read secret column does not explain, or null. */
function difference(directSession: WireSession, gatewaySession: WireSession): string | null {
  const zeroed = (s: WireSession) => s.received.map((m) => (m.type === "T" ? { ...m, body: withScratchOidZeroed(m.body, scratchOids.get(s)) } : m));
  const [direct, gateway] = [zeroed(directSession), zeroed(gatewaySession)];
  const n = Math.max(direct.length, gateway.length);
  for (let i = 0; i < n; i++) {
    const d = direct[i];
    const g = gateway[i];
    if (!d || !g || d.type !== g.type)
      return `message ${i}: direct ${d?.type ?? "none"}, gateway ${g?.type ?? "none"} (${direct.map((m) => m.type).join("")} vs ${gateway.map((m) => m.type).join("")})`;
    if (d.body.equals(g.body)) continue;
    if (d.type === "E" && withoutSourceLocation(d.body) === withoutSourceLocation(g.body)) continue;
    if (d.type !== "D") return `message ${i} (${d.type}) differs: ${printable(d.body)} vs ${printable(g.body)}`;
    const df = dataRowFields(d.body);
    const gf = dataRowFields(g.body);
    if (df.length !== gf.length) return `row ${i}: ${df.length} fields direct, ${gf.length} through the gateway`;
    for (let c = 0; c < df.length; c++) {
      const [dv, gv] = [df[c], gf[c]];
      if (dv === gv || (dv && gv && dv.equals(gv))) continue;
      if (!dv?.includes(SECRET)) return `row ${i} field ${c} changed though it holds no masked value: ${printable(dv)} vs ${printable(gv)}`;
    }
  }
  return null;
}

/**
 * An error's fields but the server's source file, line and routine (F, L, R): where the gateway
 * had to ask for a portal's columns itself, a missing portal is reported by the Describe's code
 * rather than the Execute's, with the same code and message.
 */
function withoutSourceLocation(body: Buffer): string {
  return body
    .toString("utf8")
    .split("\0")
    .filter((f) => !/^[FLR]/.test(f))
    .join("\0");
}

const printable = (b: Buffer | null) => (b === null ? "NULL" : JSON.stringify(b.toString("utf8")));

describe("[ABUSE][SEQUENCES] random legal message sequences, directly and through the gateway", () => {
  it(`answer alike; masking changes only the masked values (seed ${SEED}, ${SEQUENCES} sequences)`, async () => {
    const r = rng(SEED);
    let messages = 0;
    let maskedRows = 0;
    for (let i = 0; i < SEQUENCES; i++) {
      const steps = sequence(r);
      const [direct, gateway] = await Promise.all([session("direct"), session("gateway")]);
      try {
        const failure = (await play(direct, gateway, steps).catch((e: Error) => `${e.message} (direct ${direct.types()}, gateway ${gateway.types()})`)) ?? difference(direct, gateway);
        const leaked = gateway.received.some((m) => m.body.includes(SECRET));
        if (failure || leaked) {
          const replay = steps.map((s, n) => `  ${n + 1}. ${s.label}`).join("\n");
          expect.fail(`seed ${SEED}, sequence ${i}: ${failure ?? "a masked value reached the client"}\n${replay}`);
        }
        messages += direct.received.length;
        maskedRows += direct.received.filter((m) => m.type === "D" && m.body.includes(SECRET)).length;
      } finally {
        direct.end();
        gateway.end();
      }
    }
    console.log(`[ABUSE][SEQUENCES] seed ${SEED}: ${SEQUENCES} sequences, ${messages} backend messages alike, ${maskedRows} rows with masked values`);
    expect(maskedRows).toBeGreaterThan(0);
  });
});
