/**
 * The MySQL relay's own CPU per statement, in process (alone: `tsx bench/mysql/relay-cpu.ts`): a
 * point select's COM_QUERY through `MysqlRelay` to a stand-in target that answers at once with a
 * one-column, one-row result, and back, with no sockets, so the figure is the gateway's JavaScript
 * work per statement (framing, judging, following the answer, the audit event built, chained and
 * journaled) without the kernel's share that the bare pipe pays as well. Shipping to the database is
 * stubbed (it runs off the data path, every 100 ms).
 */
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import type pg from "pg";
import { AuditWriter } from "../../core/audit/audit-writer";
import { sessionEvent, type SessionContext } from "../../core/audit/audit-event";
import { MysqlRelay } from "../../gateway/protocols/mysql/relay";
import { MysqlStatementGuard } from "../../gateway/protocols/mysql/statement-guard";
import { framePacket, lenencBytes } from "../../gateway/protocols/mysql/packet-codec";
import { auditCommand } from "../../gateway/protocols/mysql/statement-audit";
import { BufferBudget } from "../../gateway/pipeline/message-limits";
import type { SessionScope } from "../../gateway/pipeline/session-scope";
import { policySchema, type Policy } from "../../core/policy/policy";

const stubPool = { query: async () => ({ rows: [{ seq: null, hash: null }], rowCount: 0 }) } as unknown as pg.Pool;

/** A socket stand-in: `write` hands the bytes to `onWrite`; `emit("data")` delivers bytes to the relay. */
class FakeSocket extends EventEmitter {
  writable = true;
  constructor(private readonly onWrite: (b: Buffer) => void) {
    super();
  }
  write(b: Buffer): boolean {
    this.onWrite(b);
    return true;
  }
  isPaused() {
    return false;
  }
  pause() {}
  resume() {}
  end() {}
  destroy() {}
}

const str = (s: string) => lenencBytes(Buffer.from(s));
function columnDef(): Buffer {
  const fixed = Buffer.alloc(13);
  fixed[0] = 0x0c;
  fixed.writeUInt16LE(8, 1); // latin1
  fixed.writeUInt32LE(120, 3);
  fixed[7] = 0xfe; // STRING
  return Buffer.concat([str("def"), str("shop"), str("sbtest"), str("sbtest"), str("c"), str("c"), fixed]);
}
const eof = Buffer.from([0xfe, 0, 0, 0x02, 0]);
/** The target's answer to a point select: column count, its definition, EOF, one row, EOF. */
const answer = Buffer.concat([Buffer.from([1]), columnDef(), eof, str("x".repeat(119)), eof].map((p, i) => framePacket(p, i + 1).bytes));

export type RelayFigure = { setup: string; usPerStatement: number; statements: number };

async function measure(setup: string, opts: { audit: boolean; policy: Policy | null }, seconds: number): Promise<RelayFigure> {
  const folder = mkdtempSync(path.join(tmpdir(), "gatehouse-relay-bench-"));
  const writer = new AuditWriter(stubPool, { instance: "bench", intervalMs: 3_600_000, log: () => {}, journal: { dir: folder, fsync: false } });
  await writer.recover();
  const ctx: SessionContext = {
    identityId: "6f1c1a3e-8f43-4a8e-9d55-6e2a4c1b2d3f",
    identityName: "bench-agent",
    groups: ["bench"],
    connectionName: "bench",
    sessionId: "0b9a7c55-2d1e-4f3a-8c6b-1a2b3c4d5e6f",
    protocol: "mysql",
    clientAddr: "127.0.0.1",
  };
  // As a session's scope builds its events (gateway/pipeline/session-scope.ts), its statement texts unmasked.
  const scope: Pick<SessionScope, "audit"> = { audit: (e) => writer.write(sessionEvent(ctx, e, (t) => t)) };
  let answered = 0;
  const target = new FakeSocket(() => queueMicrotask(() => target.emit("data", answer)));
  const client = new FakeSocket(() => answered++);
  const guard = new MysqlStatementGuard(() => opts.policy, { name: "bench-agent", groups: ["bench"] }, 101100);
  const budget = new BufferBudget(64 << 20);
  new MysqlRelay(
    client as unknown as Duplex,
    target as unknown as Duplex,
    0,
    {
      guard,
      requestReview: () => {
        throw new Error("no reviews in this bench");
      },
      masking: () => null,
      maskingKey: Buffer.alloc(32),
      views: null,
      localInfileRefusal: null,
      targetStatus: 0x0002,
      mapKill: () => null,
      changeUser: { tls: false, rsa: undefined as never, check: async () => null },
      maskedWrite: () => null,
      maskedWriteTable: () => null,
      audit: opts.audit ? (r) => auditCommand(scope, r, undefined, 101100) : () => {},
      syncAudit: () => writer.syncPending(),
      budget: null,
      budgetHold: () => {
        throw new Error("no budgets in this bench");
      },
      auditOverrun: () => {},
      maxPacketBytes: 64 << 20,
      compressed: null,
      clientCollation: 45,
      buffers: budget.account(),
      messageTimeoutMs: 0,
      log: () => {},
    },
    { client: Buffer.alloc(0), target: Buffer.alloc(0) },
  );
  let n = 0;
  let shipping = 0;
  // CPU time, not wall time: the figure stays comparable on a machine busy with other work.
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    const before = answered;
    client.emit("data", framePacket(Buffer.from(`\x03select c from sbtest where id = ${1 + ((n * 7919) % 10000)}`, "latin1"), 0).bytes);
    while (answered === before) await new Promise<void>((r) => setImmediate(r));
    n++;
    if (n % 4096 === 0) {
      const s = process.cpuUsage();
      await writer.flush();
      const d = process.cpuUsage(s);
      shipping += (d.user + d.system) / 1000;
    }
  }
  const used = process.cpuUsage(cpu0);
  const elapsed = (used.user + used.system) / 1000 - shipping;
  await writer.close();
  rmSync(folder, { recursive: true, force: true });
  return { setup, statements: n, usPerStatement: (elapsed * 1000) / n };
}

const POLICY: Policy = policySchema.parse({
  rules: [
    { name: "no-drops", action: "deny", match: { kinds: ["DROP"] } },
    { name: "writes-reviewed", action: "review", match: { classes: ["write"] } },
  ],
});

export async function measureRelay(seconds = 2): Promise<RelayFigure[]> {
  const figures: RelayFigure[] = [];
  figures.push(await measure("relay only (no audit, no policy)", { audit: false, policy: null }, seconds));
  figures.push(await measure("+ audit event (built, chained, journaled)", { audit: true, policy: null }, seconds));
  figures.push(await measure("+ a policy (every statement judged)", { audit: true, policy: POLICY }, seconds));
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await measureRelay(Number(process.env.BENCH_SECONDS ?? 2)))
    console.log(`${f.setup.padEnd(45)} ${f.usPerStatement.toFixed(1).padStart(7)} µs/statement  (${f.statements} statements)`);
}
