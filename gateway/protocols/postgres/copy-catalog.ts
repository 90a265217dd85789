import type { SessionMasking } from "../../../core/masking/compile-rules";
import type { ColumnRead } from "../../../core/sql/column-lineage";
import type { TargetCatalog } from "./column-catalog";
import { calledNames, ROUTINE_DEPTH, type WriteHooks } from "./routine-code";
import type { CopyCatalog } from "../../../core/masking/masked-copies";
import { throughViews } from "./result-columns";
import type { ViewLookup } from "./view-writes";

/**
 * What the masking guard reads of the target's catalog to judge copies out (core/masking/masked-copies.ts
 * takes them as its CopyCatalog): views, and the languages of functions.
 */
export type GuardCatalog = ViewLookup & Pick<TargetCatalog, "routineLanguages" | "routineCode" | "loadRoutineNames" | "builtinRoutines" | "tableHooks" | "loadTableHooks">;

/**
 * Copies out through a view (`insert into c (x) select shout from customer_contacts`, a DO block or a
 * function body that names the view): for copiesMaskedColumns, whether a read of a relation no rule
 * names reaches a masked column through a view, traced as result masking traces a view's columns (an
 * unqualified column through every relation of the statement). A name not looked up yet goes to
 * `unknown` for the caller to load before judging again, and counts as not masked meanwhile; once
 * `loaded`, as masked (fail closed), as does a view the catalog could not read.
 */
export function viewReadTrace(catalog: ViewLookup, m: SessionMasking, relations: string[], loaded: boolean, unknown: Set<string>): (r: ColumnRead) => boolean {
  return (r) => {
    const known: string[] = [];
    for (const name of r.table ? [r.table] : relations) {
      if (catalog.viewsNamed(name) !== undefined) known.push(name);
      else if (loaded) return true;
      else unknown.add(name);
    }
    if (r.table && known.length === 0) return false;
    return throughViews(m, [r], known, catalog) !== undefined;
  };
}

/**
 * For copiesMaskedColumns: whether a function called in a copy is one masking cannot see into, a
 * routine outside pg_catalog (and information_schema) written in SQL or a procedural language (its body may read masked
 * columns and return them); C and internal ones (an extension's `uuid_generate_v4`) are not. A name
 * not looked up yet goes to `unknown` and counts as not opaque meanwhile; once `loaded`, as opaque.
 */
export function opaqueRoutine(catalog: GuardCatalog, loaded: boolean, unknown: Set<string>): (fn: string) => boolean {
  return (fn) => {
    const parts = fn.split(".");
    if (parts.length > 1 && parts.at(-2) === "pg_catalog") return false;
    const name = parts.at(-1)!;
    if (parts.length === 1 && catalog.builtinRoutines()?.functions.has(name)) return false; // defined in pg_catalog only: no lookup
    const languages = catalog.routineLanguages(name);
    if (languages === undefined) {
      if (!loaded) unknown.add(name);
      return loaded;
    }
    return languages === null || languages.some((l) => l !== "c" && l !== "internal");
  };
}

/**
 * For copiesMaskedColumns: the code a call runs out of the statement's sight, the bodies of the SQL
 * and PL routines of that name outside pg_catalog (in any schema: the client's search_path is not
 * ours), and of the routines they call in turn, ROUTINE_DEPTH levels down. [] when it runs none (a
 * built-in, a C function). Names not looked up yet go to `unknown` (nothing counts meanwhile); once
 * `loaded`, null when some of it could not be read or is deeper than that: the caller refuses.
 */
export function calledCode(catalog: GuardCatalog, loaded: boolean, unknown: Set<string>): (fn: string) => string[] | null {
  return (fn) => {
    const parts = fn.split(".");
    if (parts.length > 1 && parts.at(-2) === "pg_catalog") return [];
    const builtins = catalog.builtinRoutines();
    const out: string[] = [];
    const seen = new Set<string>();
    let unreadable = false;
    const visit = (name: string, depth: number): void => {
      if (seen.has(name) || unreadable || (depth > 0 && builtins?.functions.has(name))) return;
      seen.add(name);
      const code = catalog.routineCode(name);
      if (code === undefined && !loaded) return void unknown.add(name);
      if (!code || (code.length && depth > ROUTINE_DEPTH)) return void (unreadable = true);
      for (const body of code) {
        out.push(body);
        for (const callee of calledNames(body)) visit(callee, depth + 1);
      }
    };
    if (parts.length === 1 && builtins?.functions.has(parts[0])) return [];
    visit(parts.at(-1)!, 0);
    return unreadable ? null : out;
  };
}

/**
 * For copiesMaskedColumns, what writing a table runs besides the write (column-catalog.ts's
 * tableHooks, with the code of the routines they call, as calledCode reads it):
 * - writeHooks: for these kinds of write, its triggers' functions and its rules' actions;
 * - computedColumns: the columns whose default or generated value calls routines, with their code
 *   (an insert, or an update that recomputes a generated column or sets a default, puts what they
 *   return into the column).
 * A table not looked up yet goes to `unknownTables` (the routines it names, once known, to
 * `unknownRoutines`) and nothing counts meanwhile; once `loaded`, null when any of it could not be read.
 */
export function tableCode(catalog: GuardCatalog, loaded: boolean, unknownTables: Set<string>, unknownRoutines: Set<string>): Required<Pick<CopyCatalog, "writeHooks" | "computedColumns">> {
  const called = calledCode(catalog, loaded, unknownRoutines);
  // undefined: not looked up yet.
  const hooksOf = (table: string): WriteHooks | null | undefined => {
    const name = table.toLowerCase().split(".").at(-1)!;
    const hooks = catalog.tableHooks(name);
    if (hooks === undefined && !loaded) return void unknownTables.add(name);
    return hooks ?? null;
  };
  const codeOf = (fns: string[]): string[] | null => {
    const out: string[] = [];
    for (const fn of fns) {
      const code = called(fn);
      if (code === null) return null;
      out.push(...code);
    }
    return out;
  };
  return {
    writeHooks: (table, events) => {
      const hooks = hooksOf(table);
      if (hooks === undefined) return [];
      if (hooks === null) return null;
      const out: string[] = [];
      for (const event of events) {
        const code = codeOf(hooks[event].functions);
        if (code === null) return null;
        out.push(...hooks[event].rules, ...code);
      }
      return out;
    },
    computedColumns: (table) => {
      const hooks = hooksOf(table);
      if (hooks === undefined) return [];
      if (hooks === null) return null;
      const out: Array<{ column: string; code: string[] }> = [];
      for (const { column, expr } of hooks.computed) {
        const code = codeOf(calledNames(expr));
        if (code === null) return null;
        if (code.length) out.push({ column, code });
      }
      return out;
    },
  };
}
