import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { serialize } from "pg-protocol";
import { RawPgClient } from "../support/raw-pg-client";
import { startTestGateway, type TestGateway } from "../support/gateway-harness";
import { openSeed, seedMasking, seedPolicy } from "../support/seed";
import { fuzzSeed, rng } from "../support/seeded-rng";
import { startHealthyLoop } from "../support/healthy-loop";

// A fuzzer for the Postgres listener (issue 13): after a real sign-in, sessions send random and
// mutated frames (bytes flipped, cut short, lengths rewritten, garbage, out-of-order messages),
// while a healthy client in the loop must see no failure at all. Every other session is on a
// connection with a policy and masking, so the judging and masking paths get the garbage too.
// FUZZ_SEED replays a run.
const SEED = fuzzSeed();
const SESSIONS = Number(process.env.FUZZ_SESSIONS ?? 48);
const MiB = 1024 * 1024;
let t: TestGateway;
let key: string;

beforeAll(async () => {
  t = await startTestGateway({ GATEHOUSE_MAX_MESSAGE_BYTES: String(MiB), GATEHOUSE_MESSAGE_TIMEOUT_MS: "1000" });
  key = await t.setupAccess({ connection: "fuzzed" });
  await t.setupAccess({ connection: "fuzzed-guarded" });
  const seed = openSeed(t);
  await seedPolicy(seed, "fuzzed-guarded", { defaultAction: "allow", rules: [{ name: "no-drop", action: "deny", match: { kinds: ["DROP"] } }] });
  await seedMasking(seed, "fuzzed-guarded", { detectors: { builtIn: ["email"], style: "redact" } });
  await seed.close();
});
afterAll(() => t?.close());

const VALID = [
  () => serialize.query("select 1"),
  () => serialize.query("select repeat('x', 100) from generate_series(1, 3)"),
  () => serialize.parse({ name: "s1", text: "select $1::int", types: [23] }),
  () => serialize.bind({ statement: "s1", values: ["7"] }),
  () => serialize.bind({ portal: "p", statement: "missing", values: [] }),
  () => serialize.describe({ type: "S", name: "s1" }),
  () => serialize.describe({ type: "P", name: "" }),
  () => serialize.execute({ portal: "", rows: 1 }),
  () => serialize.close({ type: "S", name: "s1" }),
  () => serialize.sync(),
  () => serialize.flush(),
  () => serialize.copyData(Buffer.from("1\tx\n")),
  () => serialize.copyDone(),
  () => serialize.copyFail("no"),
  () => serialize.query("copy (select 1) to stdout"),
  () => serialize.query("select 'ann@example.com' as e, 1 as n; drop table if exists nothing_here"),
  () => serialize.parse({ name: "", text: "select $1::text || '@example.com' as e", types: [] }),
  () => serialize.bind({ values: ["bob"] }),
] as const;

function frame(r: ReturnType<typeof rng>): Buffer {
  const base = Buffer.from(r.pick(VALID)());
  switch (r.int(7)) {
    case 0: // as drivers send it
      return base;
    case 1: {
      // bytes flipped (the length field too, sometimes)
      for (let i = 0, n = 1 + r.int(4); i < n; i++) base[r.int(base.length)] = r.int(256);
      return base;
    }
    case 2: // cut short: the rest never comes (the message deadline ends the session)
      return base.subarray(0, 1 + r.int(base.length - 1));
    case 3: {
      // a length that lies, up and down
      base.writeInt32BE(r.pick([0, 3, 4, 5, base.length + 100, 0x7fffffff, -1, 2 * MiB, r.int(1 << 20)]), 1);
      return base;
    }
    case 4: // random bytes
      return Buffer.from(Array.from({ length: 1 + r.int(64) }, () => r.int(256)));
    case 5: {
      // a random type byte on a sane body
      base[0] = r.int(256);
      return base;
    }
    default: // two messages glued, the first truncated
      return Buffer.concat([base.subarray(0, Math.max(1, base.length - 2)), Buffer.from(r.pick(VALID)())]);
  }
}

describe("[ABUSE][FUZZ] random and mutated frames after a real sign-in", () => {
  it(`never fails a healthy client or the gateway (seed ${SEED}, ${SESSIONS} sessions)`, async () => {
    const r = rng(SEED);
    const healthy = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "fuzzed", user: "x", password: key });
    const clientErrors: string[] = [];
    healthy.on("error", (e) => clientErrors.push(e.message));
    await healthy.connect();
    const loop = startHealthyLoop(async (n) => {
      const { rows } = await healthy.query("select $1::int + 1 as n", [n]);
      if (rows[0]?.n !== n + 1) return `query ${n}: ${JSON.stringify(rows)}`;
    }, 20);
    const rssBefore = process.memoryUsage().rss;
    let ended = 0;
    const session = async () => {
      const c = await RawPgClient.connect(t.pgPort);
      if ((await c.login(r.int(2) ? "fuzzed-guarded" : "fuzzed", key)).name !== "readyForQuery") throw new Error("sign-in failed");
      for (let i = 0, n = 1 + r.int(12); i < n && !c.closed; i++) {
        c.send(frame(r));
        if (r.int(3) === 0) await new Promise((res) => setTimeout(res, r.int(30)));
      }
      // Whatever it sent, the session ends (the gateway or the target closes it), or the client leaves.
      await c.waitFor(() => false, 300 + r.int(1500)).catch(() => {});
      if (c.closed) ended++;
      c.end();
    };
    for (let i = 0; i < SESSIONS; i += 4) await Promise.all(Array.from({ length: Math.min(4, SESSIONS - i) }, session));
    const { runs: queries, failures } = await loop.stop();
    expect([...clientErrors, ...failures]).toEqual([]);
    expect(queries).toBeGreaterThan(10);
    // The gateway still takes new sessions, holds no partial message, and its memory is bounded.
    const fresh = new pg.Client({ host: "127.0.0.1", port: t.pgPort, database: "fuzzed", user: "x", password: key });
    await fresh.connect();
    expect((await fresh.query("select 'alive' as s")).rows).toEqual([{ s: "alive" }]);
    await fresh.end();
    await healthy.end();
    await expect.poll(() => t.gw.deps.buffers.inUse, { timeout: 5_000 }).toBe(0);
    const growth = (process.memoryUsage().rss - rssBefore) / MiB;
    console.log(
      `[ABUSE][FUZZ] seed ${SEED}: ${SESSIONS} fuzzed sessions (${ended} ended by the gateway or target), healthy client ran ${queries} queries with 0 failures; RSS +${growth.toFixed(0)} MiB`,
    );
    expect(growth).toBeLessThan(200);
  });
});
