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
 */
export async function estimateBlastRadius(target: ExplainTarget, statement: { kind: string; text: string; tables: string[] }): Promise<BlastRadius> {
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
    if (COUNTABLE.has(kind)) {
      const { rows } = await client.query<{ n: string | null }>(
        "select sum(greatest(c.reltuples, 0))::bigint::text as n from unnest($1::text[]) t(name) join pg_class c on c.oid = to_regclass(t.name)",
        [statement.tables],
      );
      return { estimatedRows: Number(rows[0]?.n ?? 0), note: `row count of ${statement.tables.join(", ")} from the planner's statistics` };
    }
    const { rows } = await client.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(`explain (format json) ${statement.text}`);
    const plan = rows[0]["QUERY PLAN"][0].Plan;
    // A ModifyTable node estimates its own output (often 0); the rows it would change are its input's.
    const changed = plan["Node Type"] === "ModifyTable" ? (plan.Plans?.[0]?.["Plan Rows"] ?? plan["Plan Rows"]) : plan["Plan Rows"];
    return { estimatedRows: changed ?? 0, plan: summarisePlan(plan) };
  } finally {
    await client.query("rollback").catch(() => {});
    await client.end().catch(() => {});
  }
}

function summarisePlan(node: PlanNode, depth = 0): string {
  const line = `${"  ".repeat(depth)}${node["Node Type"] ?? "?"} (rows≈${node["Plan Rows"] ?? "?"})`;
  return [line, ...(node.Plans ?? []).slice(0, 4).map((p) => summarisePlan(p, depth + 1))].join("\n");
}
