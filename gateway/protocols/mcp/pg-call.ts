import pg from "pg";

/** How far a `query` result is read back to the agent; the rest is read from the wire and dropped (the statement still completes). */
export const MAX_ROWS = 200;
export const MAX_BYTES = 256 * 1024;

export type StatementResult = { command: string | null; rowCount: number | null; columns: string[]; rows: unknown[][] };
export type QueryResult = { results: StatementResult[]; truncated: boolean; note?: string };

/** A Postgres error as the gateway's listener sent it (a refusal, a deny, a rejected review, or the target's own error). */
export class PgCallError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export type PgEndpoint = { host: string; port: number; ssl: boolean };

/** The notice the Postgres adapter sends when it holds a statement: its link ends with the review's id. */
const HOLD_NOTICE = /^Gatehouse is holding this .* for approval: (\S*\/reviews\/([0-9a-f-]{36}))/i;

export type Hold = { reviewId: string; link: string; reason: string | undefined };

/**
 * One statement on a fresh connection to the gateway's own Postgres listener, as the agent: the
 * listener admits (the same credential), judges, holds, masks and audits it; this only reads back
 * what the listener sends. `onHold` is called when the listener announces a hold (its NOTICE); the
 * returned promise still settles when the statement completes, is refused, or the review ends.
 */
export function runStatement(
  endpoint: PgEndpoint,
  who: { credential: string; connection: string; application: string },
  text: string,
  params: unknown[] | undefined,
  onHold: (h: Hold) => void,
): { done: Promise<QueryResult>; abandon: () => void } {
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    database: who.connection,
    user: "mcp",
    password: who.credential,
    application_name: who.application,
    // The gateway's own listener on the loopback: its certificate is the gateway's (often self-signed).
    ssl: endpoint.ssl ? { rejectUnauthorized: false } : false,
    connectionTimeoutMillis: 15_000,
  });
  client.on("error", () => {});
  client.on("notice", (n) => {
    const m = HOLD_NOTICE.exec(n.message ?? "");
    if (m) onHold({ reviewId: m[2], link: m[1], reason: n.detail?.split(". It runs")[0] });
  });
  const done = (async (): Promise<QueryResult> => {
    try {
      await client.connect();
    } catch (err) {
      throw asPgError(err);
    }
    try {
      return await collect(client, text, params);
    } catch (err) {
      throw asPgError(err);
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return { done, abandon: () => void client.end().catch(() => {}) };
}

function collect(client: pg.Client, text: string, params: unknown[] | undefined): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    // rowMode is a QueryArrayConfig option the Query typings leave out.
    const query = new pg.Query({ text, values: params, rowMode: "array" } as pg.QueryConfig);
    const byResult = new Map<object, StatementResult>();
    const order: object[] = [];
    let bytes = 0;
    let kept = 0;
    let dropped = 0;
    const entry = (r: pg.ResultBuilder) => {
      let e = byResult.get(r);
      if (!e) {
        e = { command: null, rowCount: null, columns: r.fields.map((f) => f.name), rows: [] };
        byResult.set(r, e);
        order.push(r);
      }
      return e;
    };
    query.on("row", (row: unknown[], result?: pg.ResultBuilder) => {
      if (!result) return;
      const e = entry(result);
      const size = Buffer.byteLength(JSON.stringify(row));
      if (kept >= MAX_ROWS || bytes + size > MAX_BYTES) return void dropped++;
      kept++;
      bytes += size;
      e.rows.push(row);
    });
    query.on("error", reject);
    query.on("end", (results: pg.Result | pg.Result[]) => {
      const all = Array.isArray(results) ? results : [results];
      const out = all.map((r) => {
        const e = byResult.get(r) ?? { command: null, rowCount: null, columns: (r.fields ?? []).map((f) => f.name), rows: [] };
        return { ...e, command: r.command ?? null, rowCount: r.rowCount ?? null };
      });
      const truncated = dropped > 0;
      resolve({
        results: out,
        truncated,
        ...(truncated
          ? { note: `the result was cut: ${kept} row(s) shown, ${dropped} more not returned (at most ${MAX_ROWS} rows or ${MAX_BYTES / 1024} KiB per call); narrow the query or add LIMIT` }
          : {}),
      });
    });
    void client.query(query as unknown as pg.QueryConfig);
  });
}

function asPgError(err: unknown): PgCallError {
  const e = err as Error & { code?: string; detail?: string };
  return new PgCallError(e.message, e.code, e.detail);
}
