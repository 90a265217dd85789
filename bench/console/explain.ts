import type pg from "pg";

type Captured = { text: string; values: unknown[] };

/**
 * Records the SQL the console's domain functions send through `pool` (drizzle passes
 * `{ text, values }` to the pool's query), so the bench can EXPLAIN exactly those statements.
 */
export function captureQueries(pool: pg.Pool) {
  const captured: Captured[] = [];
  const original = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  let on = false;
  (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
    const q = args[0];
    // drizzle sends either (config, values) or (config with values); both carry the same statement.
    if (on && q && typeof q === "object" && "text" in q) captured.push({ text: String((q as Captured).text), values: (q as Captured).values ?? (args[1] as unknown[]) ?? [] });
    return original(...args);
  };
  return {
    async during(fn: () => Promise<unknown>): Promise<Captured[]> {
      captured.length = 0;
      on = true;
      try {
        await fn();
      } finally {
        on = false;
      }
      return [...captured];
    },
  };
}

/** EXPLAIN ANALYZE of one captured statement, costs left out so the plan's shape stands out. */
export async function explain(client: pg.Client, q: Captured): Promise<string> {
  const { rows } = await client.query<{ "QUERY PLAN": string }>(`explain (analyze, costs off, timing on, summary on) ${q.text}`, q.values);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}
