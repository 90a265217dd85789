import { describe, expect, it } from "vitest";
import { AggregatorRegistry, Counter, Gauge, Registry } from "prom-client";
import { loadConfig } from "./config";
import { RetiredCounts, workerInstance } from "./workers";

const env = (more: Record<string, string>) =>
  ({ GATEHOUSE_SECRET_KEY: "ab".repeat(32), GATEHOUSE_DATA_DIR: "/tmp/gatehouse-workers-config", GATEHOUSE_INSTANCE: "gw", ...more }) as unknown as NodeJS.ProcessEnv;

describe("GATEHOUSE_WORKERS", () => {
  it("is one process by default, and takes 1 to 64", () => {
    expect(loadConfig(env({})).workers).toBe(1);
    expect(loadConfig(env({ DATABASE_URL: "postgres://db/gh", GATEHOUSE_WORKERS: "4" })).workers).toBe(4);
    for (const bad of ["0", "65", "two", "1.5"]) expect(() => loadConfig(env({ DATABASE_URL: "postgres://db/gh", GATEHOUSE_WORKERS: bad }))).toThrow(/GATEHOUSE_WORKERS/);
  });

  it("refuses more than one worker on the embedded database, saying what to do", () => {
    expect(() => loadConfig(env({ GATEHOUSE_WORKERS: "2" }))).toThrow(/GATEHOUSE_WORKERS: more than one worker needs a PostgreSQL server \(DATABASE_URL\)/);
  });

  it("names each worker's instance after the configured one", () => {
    expect([1, 2].map((i) => workerInstance("gw-a:15432", i))).toEqual(["gw-a:15432#1", "gw-a:15432#2"]);
  });
});

describe("a dead worker's counts", () => {
  /** One worker's registry as the primary reads it: a counter at `n`, a gauge at 5. */
  async function workerRead(n: number) {
    const registry = new Registry();
    new Counter({ name: "opened_total", help: "h", registers: [registry] }).inc(n);
    new Gauge({ name: "open", help: "h", registers: [registry] }).set(5);
    return (await registry.getMetricsAsJSON()) as Parameters<RetiredCounts["retire"]>[0];
  }
  const sum = async (counts: RetiredCounts, live: Awaited<ReturnType<typeof workerRead>>[]) => {
    const metrics = await AggregatorRegistry.aggregate(counts.withLive(live as never) as never).getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)?.values[0]?.value;
    return { opened: value("opened_total"), open: value("open") };
  };

  it("stay in every later sum from the moment it is retired, counters only, however many workers die", async () => {
    const counts = new RetiredCounts();
    const live = [await workerRead(100)];
    for (let i = 1; i <= 30; i++) {
      counts.retire(await workerRead(1));
      // Read at once, while an earlier fold may still be summing: nothing retired is missing.
      expect(await sum(counts, live)).toEqual({ opened: 100 + i, open: 5 });
    }
    // Folded: the kept sets do not grow with every death.
    expect(counts.withLive([]).length).toBeLessThanOrEqual(9);
  });
});
