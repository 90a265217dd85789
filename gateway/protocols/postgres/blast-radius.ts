import pg from "pg";
import type { BlastRadius } from "../../../drizzle/schema/index";

export type ExplainTarget = { host: string; port: number; database: string; user: string; password?: string; ssl: boolean };

const EXPLAINABLE = new Set(["INSERT", "UPDATE", "DELETE", "MERGE", "SELECT"]);
const COUNTABLE = new Set(["TRUNCATE", "DROP TABLE"]);

type PlanNode = { "Node Type"?: string; "Plan Rows"?: number; Plans?: PlanNode[] };

/**
 * How many rows a held write would touch, from the planner, without running it: EXPLAIN (no
 * ANALYZE) inside a READ ONLY transaction that is rolled back, on a separate short connection
 * with the gateway's own credentials. TRUNCATE and DROP TABLE are estimated from the tables'
 * row counts in pg_class. Anything else has no estimate.
 *
 * The planner's figures are only as good as its statistics: a table never analysed reads as 0
 * rows. When a table's statistics are missing or stale and the table is small, its rows are
 * counted instead (a bounded count(*)), and the note says how the figure was made.
 */
export async function estimateBlastRadius(target: ExplainTarget, statement: { kind: string; text: string; tables: string[]; writesWithoutWhere?: boolean }): Promise<BlastRadius> {
  const kind = statement.kind.toUpperCase();
  if (!EXPLAINABLE.has(kind) && !COUNTABLE.has(kind)) return { note: `no estimate for ${statement.kind}` };
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password,
    ssl: target.ssl ? { rejectUnauthorized: false } : false,
    connectionTimeoutMillis: 5000,
    statement_timeout: 5000,
    application_name: "gatehouse-review-estimate",
  });
  await client.connect();
  try {
    await client.query("begin transaction read only");
    const tables = await tableStatistics(client, statement.tables);
    const unreliable = tables.filter((t) => t.stale);
    const counted = unreliable.every((t) => t.count !== null) ? unreliable : [];
    const countedNote = counted.length
      ? `; the planner has no current statistics for ${counted.map((t) => t.name).join(", ")}, so ${counted.length > 1 ? "their" : "its"} rows were counted`
      : unreliable.length
        ? `; the planner has no current statistics for ${unreliable.map((t) => t.name).join(", ")} (too large to count): the figure may be far off`
        : "";
    const rowsOf = (t: TableStats) => t.count ?? Math.max(t.reltuples, 0);
    if (COUNTABLE.has(kind)) {
      const n = tables.reduce((sum, t) => sum + rowsOf(t), 0);
      const how = counted.length === tables.length && tables.length ? "counted, as the planner has no current statistics for it" : `from the planner's statistics${countedNote}`;
      return { estimatedRows: n, counted: counted.length === tables.length && tables.length > 0, note: `row count of ${statement.tables.join(", ")} ${how}` };
    }
    const { rows } = await client.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(`explain (format json) ${statement.text}`);
    const plan = rows[0]["QUERY PLAN"][0].Plan;
    // A ModifyTable node estimates its own output (often 0); the rows it would change are its input's.
    const planned = (plan["Node Type"] === "ModifyTable" ? (plan.Plans?.[0]?.["Plan Rows"] ?? plan["Plan Rows"]) : plan["Plan Rows"]) ?? 0;
    const [only] = counted.length === 1 && tables.length === 1 ? counted : [];
    if (only && statement.writesWithoutWhere && (kind === "UPDATE" || kind === "DELETE")) {
      return { estimatedRows: only.count!, counted: true, note: `every row of ${only.name}, counted (the planner has no current statistics for it)`, plan: summarisePlan(plan) };
    }
    if (only)
      return {
        estimatedRows: planned,
        upperBound: only.count!,
        note: `the planner's estimate; it has no current statistics for ${only.name}, which holds ${only.count!.toLocaleString("en")} row(s) (counted)`,
        plan: summarisePlan(plan),
      };
    return { estimatedRows: planned, plan: summarisePlan(plan), ...(countedNote ? { note: `the planner's estimate${countedNote}` } : {}) };
  } finally {
    await client.query("rollback").catch(() => {});
    await client.end().catch(() => {});
  }
}

function summarisePlan(node: PlanNode, depth = 0): string {
  const line = `${"  ".repeat(depth)}${node["Node Type"] ?? "?"} (rows≈${node["Plan Rows"] ?? "?"})`;
  return [line, ...(node.Plans ?? []).slice(0, 4).map((p) => summarisePlan(p, depth + 1))].join("\n");
}

type TableStats = { name: string; reltuples: number; stale: boolean; count: number | null };

// Tables up to this size are counted when their statistics cannot be trusted (a count stays well under a second).
const COUNTABLE_BYTES = 64 * 1024 * 1024;

/**
 * Each table's planner row count, whether it can be trusted (never analysed: reltuples -1 since
 * PostgreSQL 14; or changed by more than a fifth since), and for the small untrusted ones an exact
 * count under a short statement timeout.
 */
async function tableStatistics(client: pg.Client, names: string[]): Promise<TableStats[]> {
  if (!names.length) return [];
  const { rows } = await client.query<{ name: string; regclass: string; reltuples: number; bytes: string; analysed: boolean; changed: string | null }>(
    `select t.name, c.oid::regclass::text as regclass, c.reltuples, pg_relation_size(c.oid)::text as bytes,
            (s.last_analyze is not null or s.last_autoanalyze is not null) as analysed, s.n_mod_since_analyze::text as changed
       from unnest($1::text[]) t(name) join pg_class c on c.oid = to_regclass(t.name) left join pg_stat_all_tables s on s.relid = c.oid`,
    [names],
  );
  const out: TableStats[] = [];
  for (const r of rows) {
    const stale = r.reltuples < 0 || !r.analysed || Number(r.changed ?? 0) > 0.2 * Math.max(r.reltuples, 0) + 50;
    let count: number | null = null;
    if (stale && Number(r.bytes) <= COUNTABLE_BYTES) {
      // regclass::text is the name quoted as SQL needs it; a count that fails or times out leaves the transaction usable.
      await client.query("savepoint gatehouse_count; set local statement_timeout = 2000");
      count = await client
        .query<{ n: string }>(`select count(*)::text as n from ${r.regclass}`)
        .then((q) => Number(q.rows[0].n))
        .catch(() => null);
      await client.query(count === null ? "rollback to savepoint gatehouse_count" : "release savepoint gatehouse_count");
    }
    out.push({ name: r.name, reltuples: r.reltuples, stale, count });
  }
  return out;
}
