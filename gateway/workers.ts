import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from "prom-client";
import { runMigrations } from "../drizzle/migrate";
import type { GatewayConfig } from "./config";
import { loadTlsContext } from "./tls";
import { loadMysqlRsaKey } from "./protocols/mysql/rsa-key";
import type { Log } from "./log-sink";

// GATEHOUSE_WORKERS=N: N gateway processes (node:cluster) behind the same listeners. The primary
// owns the listening sockets and hands each accepted connection to the next worker (round robin), so
// clients still see one port per protocol. Each worker is a gateway instance of its own, with its own
// name (`<GATEHOUSE_INSTANCE>#<n>`), audit journal and chain, instance lock and session records:
// everything that already works between instances on several hosts (cancel keys, kills, key
// revocation, reviews, policy and masking changes all cross the database bus) works between workers
// the same way, and a worker that dies is replaced under its own name, which ships its journal and
// closes its sessions' records at start as any restarted instance does.

const READY = "gatehouse:ready";
const METRICS_WANTED = "gatehouse:metrics";
const METRICS_READ = "gatehouse:metrics-read";
const METRICS_DONE = "gatehouse:metrics-done";
/** How long the primary waits for a worker's metrics, and a worker for the summed metrics. */
const METRICS_TIMEOUT_MS = 5_000;

/** A worker's instance name: the configured one with its number. */
export const workerInstance = (base: string, index: number): string => `${base}#${index}`;

/** This process's worker number (1-based) when the primary forked it, else null. */
export function workerIndex(): number | null {
  return cluster.isWorker ? Number(process.env.GATEHOUSE_WORKER_INDEX) : null;
}

/** What a worker's gateway tells the primary. */
export type WorkerLink = {
  /** Every listener is up. */
  ready: (ports: Record<string, number>) => void;
  /** `/metrics` answers for the whole gateway: the primary asks every ready worker and sums. */
  metrics: (registry: Registry) => () => Promise<string>;
};

type Message = { type?: string; id?: number; ports?: Record<string, number>; json?: MetricObjectWithValues<MetricValue<string>>[]; text?: string; error?: string };

/** The worker side of the link (call in a forked worker only). */
export function workerLink(): WorkerLink {
  const send = (m: Message) => process.send?.(m);
  let registry: Registry | null = null;
  let next = 0;
  const waiting = new Map<number, (m: Message) => void>();
  process.on("message", (m: Message) => {
    if (m?.type === METRICS_READ && registry) {
      registry.getMetricsAsJSON().then(
        (json) => send({ type: METRICS_READ, id: m.id, json }),
        (err: Error) => send({ type: METRICS_READ, id: m.id, error: err.message }),
      );
    } else if (m?.type === METRICS_DONE && m.id !== undefined) {
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    }
  });
  return {
    ready: (ports) => send({ type: READY, ports }),
    metrics(r) {
      registry = r;
      return () =>
        new Promise<string>((resolve, reject) => {
          const id = ++next;
          const timer = setTimeout(() => {
            waiting.delete(id);
            reject(new Error(`the primary process did not sum the workers' metrics within ${METRICS_TIMEOUT_MS} ms`));
          }, METRICS_TIMEOUT_MS + 1_000);
          waiting.set(id, (m) => {
            clearTimeout(timer);
            if (m.error) reject(new Error(m.error));
            else resolve(m.text ?? "");
          });
          send({ type: METRICS_WANTED, id });
        });
    },
  };
}

type Slot = { index: number; worker: Worker; ready: boolean; startedAt: number; lastRead?: WorkerMetrics };
type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/**
 * The counters and histograms of workers that died, as last read, so that `/metrics` never goes
 * down when a worker is replaced: Prometheus takes a counter that drops for a reset, and rate()
 * would count the surviving workers' whole totals again as new. What a worker counted after the
 * last scrape is lost with it (the primary has nothing newer), which reads as a pause, not a spike.
 */
export class RetiredCounts {
  /** Each dead worker's counters and histograms as last read; runs of them are folded into one (see fold). */
  private kept: WorkerMetrics[] = [];
  private folding = false;

  /** Synchronous, so that no sum made after a worker's exit can miss what it counted. */
  retire(last: WorkerMetrics | undefined): void {
    // prom-client's types declare `type` a numeric enum; its JSON carries the names ("counter").
    const monotonic = (last ?? []).filter((m) => ["counter", "histogram"].includes(m.type as unknown as string));
    if (monotonic.length > 0) this.kept.push(monotonic);
    if (this.kept.length > 8) void this.fold();
  }

  withLive(live: WorkerMetrics[]): WorkerMetrics[] {
    return [...live, ...this.kept];
  }

  /**
   * Sums the kept sets into one, so a gateway whose workers keep dying does not add a set per death
   * to every scrape. The sets stay counted while prom-client sums them (it is asynchronous); the
   * sum then replaces exactly them, in one step.
   */
  private async fold(): Promise<void> {
    if (this.folding) return;
    this.folding = true;
    const batch = this.kept.slice();
    try {
      const sum = (await AggregatorRegistry.aggregate(batch).getMetricsAsJSON()) as WorkerMetrics;
      this.kept.splice(0, batch.length, sum);
    } catch {
      // Left as separate sets, which are still counted; the next death tries again.
    } finally {
      this.folding = false;
    }
  }
}

/**
 * The primary: migrates the database, and makes the self-signed certificate (when one is used) and
 * MySQL's RSA key, once, forks the workers, announces `gateway ready` when every one is, replaces one that dies
 * (after 1 s, doubling up to 30 s while replacements keep dying within a minute), sums the
 * workers' metrics for `/metrics`, and on SIGTERM or SIGINT stops every worker (each ends its
 * sessions and stores its audit as a lone gateway does) and exits. A worker that fails before the
 * gateway was first ready stops them all: a configuration error (a port in use, a bad certificate)
 * is the same in every worker.
 */
export async function runPrimary(config: GatewayConfig, log: Log): Promise<void> {
  await runMigrations(config.databaseUrl);
  // A self-signed certificate is generated here, once: workers generating their own at the same time would present different ones.
  await loadTlsContext(config);
  // Likewise MySQL's RSA key (each worker would make its own).
  loadMysqlRsaKey(config.dataDir);
  const slots = new Map<number, Slot>();
  const retired = new RetiredCounts();
  let announced = false;
  let stopping = false;
  let exitCode = 0;
  let lastPorts: Record<string, number> = {};
  const stopped = new Promise<void>((resolve) => {
    const checkAllGone = () => {
      if (stopping && [...slots.values()].every((s) => s.worker.isDead())) resolve();
    };
    const fork = (index: number, quickDeaths: number) => {
      const worker = cluster.fork({ GATEHOUSE_WORKER_INDEX: String(index) });
      const slot: Slot = { index, worker, ready: false, startedAt: Date.now() };
      slots.set(index, slot);
      worker.on("message", (m: Message) => {
        if (m?.type === READY) {
          slot.ready = true;
          lastPorts = m.ports ?? lastPorts;
          if (announced) log(`worker ${index} (${workerInstance(config.instance, index)}) is serving again`);
          else if ([...slots.values()].every((s) => s.ready)) {
            announced = true;
            const ports = Object.entries(lastPorts).map(([name, port]) => `${name} on ${config.bind}:${port}`);
            log(`gateway ready: ${ports.join(", ")} (${config.workers} workers, instances ${workerInstance(config.instance, 1)} to ${workerInstance(config.instance, config.workers)})`);
          }
        } else if (m?.type === METRICS_WANTED) {
          sumMetrics(slots, retired).then(
            (text) => worker.isConnected() && worker.send({ type: METRICS_DONE, id: m.id, text }),
            (err: Error) => worker.isConnected() && worker.send({ type: METRICS_DONE, id: m.id, error: err.message }),
          );
        }
      });
      worker.on("exit", (code, signal) => {
        const how = signal ? `killed by ${signal}` : `exit status ${code}`;
        if (stopping) return checkAllGone();
        if (!announced) {
          log(`worker ${index} (${workerInstance(config.instance, index)}) stopped before the gateway was ready (${how}); stopping the others`, "error");
          exitCode = 1;
          return stop();
        }
        retired.retire(slot.lastRead);
        const quick = Date.now() - slot.startedAt < 60_000 ? quickDeaths + 1 : 0;
        const delay = Math.min(30_000, 1_000 * 2 ** Math.max(0, quick - 1));
        log(`worker ${index} (${workerInstance(config.instance, index)}) stopped (${how}); its sessions ended with it; starting it again in ${delay / 1000} s`, "error");
        // Not unref'd: with every worker dead at once, this timer is what keeps the primary alive to replace them.
        setTimeout(() => stopping || fork(index, quick), delay);
      });
    };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      for (const s of slots.values()) if (!s.worker.isDead()) s.worker.process.kill("SIGTERM");
      checkAllGone();
    };
    for (const signal of ["SIGINT", "SIGTERM"] as const)
      process.on(signal, () => {
        if (!stopping) log(`${signal}: stopping ${config.workers} workers`);
        stop();
      });
    for (let i = 1; i <= config.workers; i++) fork(i, 0);
  });
  await stopped;
  process.exit(exitCode);
}

/** Every ready worker's registry, summed (prom-client's cluster aggregation: counters, gauges and histograms add up), with what dead workers had counted. */
async function sumMetrics(slots: Map<number, Slot>, retired: RetiredCounts): Promise<string> {
  const ready = [...slots.values()].filter((s) => s.ready && s.worker.isConnected());
  const replies = await Promise.all(ready.map(async (s) => (s.lastRead = await readWorker(s))));
  return AggregatorRegistry.aggregate(retired.withLive(replies)).metrics();
}

let nextRead = 0;
function readWorker(s: Slot): Promise<WorkerMetrics> {
  const id = ++nextRead;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.worker.off("message", onMessage);
      reject(new Error(`worker ${s.index} did not give its metrics within ${METRICS_TIMEOUT_MS} ms`));
    }, METRICS_TIMEOUT_MS);
    const onMessage = (m: Message) => {
      if (m?.type !== METRICS_READ || m.id !== id) return;
      clearTimeout(timer);
      s.worker.off("message", onMessage);
      if (m.error) reject(new Error(`worker ${s.index}: ${m.error}`));
      else resolve(m.json ?? []);
    };
    s.worker.on("message", onMessage);
    s.worker.send({ type: METRICS_READ, id });
  });
}
