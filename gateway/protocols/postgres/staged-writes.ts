import { looksMasked } from "../../../core/masking/masked-shape";
import { readRelations, type MaskedWrite, type UncoveredWrite } from "../../../core/masking/masked-writes";
const bare = (name: string) => name.toLowerCase().split(".").at(-1)!;

/**
 * Masked values written back in two steps, through a staging table: `create temp table fix ...;
 * insert into fix values (1, '[REDACTED:email]'); update customers c set email = f.email from fix f
 * where c.id = f.id`. The first write goes into a table no rule covers, so it is allowed; the second
 * has no literal to judge. A session that gives a table masked-looking values (literals, or a Bind's
 * parameters) marks it, and a later write into a masked column that reads a marked table is refused.
 * By bare table name, for the session's life (over-refusing rather than under).
 */
export class StagedValues {
  private readonly marked = new Set<string>();
  /** Prepared statement name -> the uncovered tables it writes with parameters (a Bind's values may mark them). */
  private readonly byStatement = new Map<string, string[]>();

  /** The first marked table a write into a masked column reads (`writes`: each statement's, as masked-writes.ts reads them), and that column; undefined when none does. */
  copiedFrom(statements: Array<{ tree: Record<string, unknown> }>, writes: MaskedWrite[][]): { column: string; from: string } | undefined {
    if (this.marked.size === 0) return undefined;
    for (let i = 0; i < statements.length; i++) {
      if (writes[i].length === 0) continue;
      const from = readRelations(statements[i].tree).find((r) => this.marked.has(r));
      if (from) return { column: writes[i][0].column, from };
    }
    return undefined;
  }

  /** What a Query or Parse that is let through writes (each statement's UncoveredWrite): masked-looking literals mark the tables they go into; a Parse's parameters are read at its Binds. */
  note(uncovered: Array<UncoveredWrite | null>, parseName: string | null): void {
    const withParams: string[] = [];
    for (const w of uncovered) {
      if (!w) continue;
      if (w.literals.some(looksMasked)) for (const t of w.tables) this.marked.add(bare(t));
      if (w.params.length > 0) withParams.push(...w.tables.map(bare));
    }
    if (parseName === null) return;
    if (withParams.length) this.byStatement.set(parseName, withParams);
    else this.byStatement.delete(parseName);
  }

  /** Whether a Bind of this statement is worth reading for marks. */
  reads(statement: string): boolean {
    return this.byStatement.has(statement);
  }

  /** A Bind's values: a masked-looking one marks what its statement writes. */
  bound(statement: string, values: Array<string | null>): void {
    if (!values.some((v) => v !== null && looksMasked(v))) return;
    for (const t of this.byStatement.get(statement) ?? []) this.marked.add(t);
  }
}
