import mysql from "mysql2/promise";
import { MAX_BYTES, MAX_ROWS, type QueryResult, type StatementResult } from "./pg-call";

/** A MySQL error as the gateway's listener sent it (a refusal, a deny, or the target's own error). */
export class MysqlCallError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

/** The listener's answer to a held statement when the client asked not to wait (see gateway/pipeline/accepted-reviews.ts). */
const HELD = /^Gatehouse is holding this .* for approval: (\S*\/reviews\/([0-9a-f-]{36}))/;

export type MysqlHeld = { reviewId: string; link: string };

/**
 * One SQL text on a fresh connection to the gateway's own MySQL listener, as the agent (user = the
 * connection's name, password = its credential; over TLS when the listener requires it): the
 * listener admits, judges, masks and audits it. The connection asks for held statements to be
 * answered at once (attribute gatehouse_prefer=respond-async): such a statement comes back as held,
 * and the same text sent again after approval runs, once.
 */
export async function runMysqlStatement(
  endpoint: { host: string; port: number; tls: boolean },
  who: { credential: string; connection: string; application: string },
  sql: string,
  params: unknown[] | undefined,
): Promise<{ held: MysqlHeld } | { done: QueryResult }> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({
      host: endpoint.host,
      port: endpoint.port,
      user: who.connection,
      password: who.credential,
      // The gateway's own listener on the loopback: its certificate is the gateway's (often self-signed).
      ssl: endpoint.tls ? { rejectUnauthorized: false } : undefined,
      connectAttributes: { program_name: who.application, gatehouse_prefer: "respond-async" },
      multipleStatements: params === undefined,
      rowsAsArray: true,
      connectTimeout: 15_000,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  } catch (err) {
    throw asMysqlError(err);
  }
  conn.on("error", () => {});
  try {
    const [rows, fields] = params === undefined ? await conn.query(sql) : await conn.execute(sql, params as never[]);
    return { done: collect(rows, fields) };
  } catch (err) {
    const e = asMysqlError(err);
    const m = HELD.exec(e.message);
    if (m) return { held: { reviewId: m[2], link: m[1] } };
    throw e;
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

type Fields = Array<{ name: string }> | Array<Array<{ name: string }> | undefined> | undefined;

/** mysql2's answer (one result, or one per statement of a multi-statement text) as `query` returns it, cut like Postgres results. */
function collect(rows: unknown, fields: Fields): QueryResult {
  const many = Array.isArray(fields) && fields.length > 0 && (Array.isArray(fields[0]) || fields[0] === undefined) && Array.isArray(rows) && rows.length === fields.length;
  const results = many ? (rows as unknown[]).map((r, i) => [r, (fields as Array<Array<{ name: string }> | undefined>)[i]] as const) : [[rows, fields as Array<{ name: string }> | undefined] as const];
  let kept = 0;
  let bytes = 0;
  let dropped = 0;
  const out: StatementResult[] = results.map(([r, f]) => {
    if (!Array.isArray(r)) {
      const ok = r as { affectedRows?: number };
      return { command: "OK", rowCount: ok.affectedRows ?? null, columns: [], rows: [] };
    }
    const shown: unknown[][] = [];
    for (const row of r as unknown[][]) {
      const size = Buffer.byteLength(JSON.stringify(row));
      if (kept >= MAX_ROWS || bytes + size > MAX_BYTES) {
        dropped++;
        continue;
      }
      kept++;
      bytes += size;
      shown.push(row);
    }
    return { command: "SELECT", rowCount: r.length, columns: (f ?? []).map((c) => c.name), rows: shown };
  });
  const truncated = dropped > 0;
  return {
    results: out,
    truncated,
    ...(truncated
      ? { note: `the result was cut: ${kept} row(s) shown, ${dropped} more not returned (at most ${MAX_ROWS} rows or ${MAX_BYTES / 1024} KiB per call); narrow the query or add LIMIT` }
      : {}),
  };
}

function asMysqlError(err: unknown): MysqlCallError {
  const e = err as Error & { errno?: number };
  return new MysqlCallError(e.message, e.errno);
}
