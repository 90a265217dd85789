/** A parse tree's relation (libpg-query's RangeVar) as SQL names it: `schema.table`, or `table`. */
export function relationName(rel: unknown): string {
  const r = rel as { schemaname?: string; relname?: string } | undefined;
  return r?.schemaname ? `${r.schemaname}.${r.relname}` : String(r?.relname ?? "");
}
