// A CommonJS package without named ESM exports: its default export holds Parser (plain Node ESM, as `npm run gateway` runs, has no named import).
import sqlParser from "node-sql-parser";
import { splitMysql } from "./mysql-lexer";

const parser = new sqlParser.Parser();

/** A column a query text reads: table as written (null when the grammar cannot tell), `*` for a whole row. */
export type ColumnReference = { table: string | null; column: string | "*" };

/**
 * The columns a MySQL text reads, statement by statement (executable comments opened), as
 * node-sql-parser resolves them; null when a statement cannot be read (callers then assume the
 * worst). What masking uses for computed result columns, which carry no source of their own.
 */
export function referencedColumns(text: string): ColumnReference[] | null {
  const split = splitMysql(text);
  if (!split.ok) return null;
  const out: ColumnReference[] = [];
  for (const s of split.statements) {
    let list: string[] | null = null;
    for (const database of ["MariaDB", "MySQL"]) {
      try {
        list = parser.columnList(s.executable, { database });
        break;
      } catch {
        // the other grammar, then
      }
    }
    if (!list) return null;
    for (const entry of list) {
      const [, table, column] = entry.split("::");
      out.push({ table: table && table !== "null" ? table : null, column: column === "(.*)" ? "*" : column });
    }
  }
  return out;
}
