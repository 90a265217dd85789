import { median, scenarioName, CONNECT_CLIENTS, FETCH_ROWS, type ConnectResult, type FetchResult, type PgbenchResult, type Scenario } from "./workloads";

export const CONTENDERS = ["direct", "pgbouncer", "bare-pipe", "gateway"] as const;
export type Contender = (typeof CONTENDERS)[number];

/** One fresh value per contender. */
export function perContender<T>(make: () => T): Record<Contender, T> {
  return Object.fromEntries(CONTENDERS.map((c) => [c, make()])) as Record<Contender, T>;
}

export type FetchRss = { round: number; beforeMiB: number | null; peakMiB: number | null; afterMiB: number | null; settledMiB: number | null };

export type Results = {
  meta: Record<string, string | number>;
  pgbench: Record<string, Record<Contender, PgbenchResult[]>>;
  connect: Record<Contender, ConnectResult[]>;
  fetch: Record<Contender, FetchResult[]>;
  gatewayFetchRss: FetchRss[];
  rss: Partial<Record<Contender, { peakMiB: number | null; hwmMiB: number | null }>>;
  notes: string[];
};

const RATIOS: Array<[string, Contender, Contender]> = [
  ["gw/direct", "gateway", "direct"],
  ["gw/pgb", "gateway", "pgbouncer"],
  ["gw/pipe", "gateway", "bare-pipe"],
  ["pgb/direct", "pgbouncer", "direct"],
];

const pad = (s: string, n: number) => s.padStart(n);
const fmt = (v: number | null, digits = 0) => (v === null ? "-" : v.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? "-" : `${(a / b).toFixed(2)}x`);

function table(title: string, header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : pad(c, widths[i]))).join("  ");
  return [title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Medians per scenario and contender of one pgbench figure. */
function medians(r: Results, s: Scenario, pick: (x: PgbenchResult) => number | null): Record<Contender, number | null> {
  const runs = r.pgbench[scenarioName(s)];
  return Object.fromEntries(CONTENDERS.map((c) => [c, median((runs?.[c] ?? []).map(pick))])) as Record<Contender, number | null>;
}

/** Connection time: `pgbench -C`, a new connection (and, through the gateway, a new session) per `select 1`. */
export function formatConnect(r: Results): string {
  const pick = (f: (x: ConnectResult) => number | null) => Object.fromEntries(CONTENDERS.map((c) => [c, median(r.connect[c].map((x) => (x.error ? null : f(x))))])) as Record<Contender, number | null>;
  const ms = pick((x) => x.connectMs);
  const tps = pick((x) => x.tps);
  const cpu = pick((x) => x.proxyCpuUs ?? null);
  const header = ["figure", ...CONTENDERS, ...RATIOS.map(([n]) => n)];
  const row = (name: string, m: Record<Contender, number | null>, digits: number) => [name, ...CONTENDERS.map((c) => fmt(m[c], digits)), ...RATIOS.map(([, a, b]) => ratio(m[a], m[b]))];
  const failures = CONTENDERS.flatMap((c) => r.connect[c].filter((x) => x.error).map((x) => `  connect ${c}: ${x.error!.replace(/\n/g, "\n    ")}`));
  return [
    table(`connect: pgbench -n -C -c ${CONNECT_CLIENTS} -j ${CONNECT_CLIENTS}, select 1 (median)`, header, [
      row("avg connection ms", ms, 2),
      row("tps incl. connect", tps, 0),
      row("proxy CPU µs/conn", cpu, 0),
    ]),
    ...(failures.length ? [["failures:", ...failures].join("\n")] : []),
  ].join("\n");
}

export function formatReport(r: Results, scenarios: Scenario[]): string {
  const out: string[] = [formatConnect(r)];
  const header = ["scenario", ...CONTENDERS, ...RATIOS.map(([n]) => n)];
  const rowsFor = (pick: (x: PgbenchResult) => number | null, digits: number) =>
    scenarios.map((s) => {
      const m = medians(r, s, pick);
      return [scenarioName(s), ...CONTENDERS.map((c) => fmt(m[c], digits)), ...RATIOS.map(([, a, b]) => ratio(m[a], m[b]))];
    });
  out.push(
    table(
      "pgbench -S, tps (median; ratios > 1 mean the first is faster)",
      header,
      rowsFor((x) => x.tps, 0),
    ),
  );
  out.push(
    table(
      "pgbench -S, average latency ms (median; ratios > 1 mean the first is slower)",
      header,
      rowsFor((x) => x.latencyMs, 3),
    ),
  );

  out.push(
    table(
      "CPU per transaction, µs (median): the contender's own process; gateway-db = Postgres backends of the gateway's pool (audit)",
      ["scenario", "pgbouncer", "bare-pipe", "gateway", "gateway-db"],
      scenarios.map((s) => {
        const proxy = medians(r, s, (x) => x.proxyCpuUs ?? null);
        const db = medians(r, s, (x) => x.gatewayDbCpuUs ?? null);
        return [scenarioName(s), fmt(proxy.pgbouncer, 1), fmt(proxy["bare-pipe"], 1), fmt(proxy.gateway, 1), fmt(db.gateway, 1)];
      }),
    ),
  );

  const fetchMed = Object.fromEntries(CONTENDERS.map((c) => [c, median(r.fetch[c].map((f) => (f.error ? null : f.seconds)))])) as Record<Contender, number | null>;
  out.push(
    table(
      `${FETCH_ROWS.toLocaleString("en")}-row fetch with psql (median)`,
      ["contender", "seconds", "rows/s", "vs direct time"],
      CONTENDERS.map((c) => [c, fmt(fetchMed[c], 2), fmt(fetchMed[c] ? FETCH_ROWS / fetchMed[c]! : null), ratio(fetchMed[c], fetchMed.direct)]),
    ),
  );

  out.push(
    table(
      "memory (MiB): peak of VmRSS sampled every 100 ms during all runs, VmHWM at the end",
      ["contender", "peak RSS", "VmHWM"],
      (["pgbouncer", "bare-pipe", "gateway"] as const).map((c) => [c, fmt(r.rss[c]?.peakMiB ?? null, 1), fmt(r.rss[c]?.hwmMiB ?? null, 1)]),
    ),
  );
  out.push(
    table(
      "gateway RSS around the 1M-row fetch (MiB; settled = 2 s after)",
      ["round", "before", "peak during", "after", "settled"],
      r.gatewayFetchRss.map((g) => [String(g.round), fmt(g.beforeMiB, 1), fmt(g.peakMiB, 1), fmt(g.afterMiB, 1), fmt(g.settledMiB, 1)]),
    ),
  );

  const failures: string[] = [];
  for (const [scenario, byContender] of Object.entries(r.pgbench))
    for (const c of CONTENDERS) for (const x of byContender[c] ?? []) if (x.error || x.failed) failures.push(`${scenario} ${c}: ${x.error ?? `${x.failed} failed transactions`}`);
  for (const c of CONTENDERS) for (const f of r.fetch[c]) if (f.error) failures.push(`fetch ${c}: ${f.error}`);
  if (failures.length) out.push(["failures:", ...failures.map((f) => `  ${f.replace(/\n/g, "\n    ")}`)].join("\n"));
  if (r.notes.length) out.push(["notes:", ...r.notes.map((n) => `  ${n}`)].join("\n"));
  return out.join("\n\n");
}
