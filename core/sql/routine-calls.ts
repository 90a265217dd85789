/**
 * The functions and operators a parsed statement calls, by name as written (lower case, with the
 * schema when one is given). Masking uses them to spot computed values it cannot trace: a
 * user-defined function, aggregate or operator can read any table inside its body, and a few
 * built-ins run SQL given as text.
 */
export type RoutineCalls = { functions: string[]; operators: string[] };

type Node = Record<string, unknown>;
const isObj = (v: unknown): v is Node => typeof v === "object" && v !== null;
const names = (list: unknown): string =>
  Array.isArray(list)
    ? list
        .map((n) => String((n as { String?: { sval?: string } }).String?.sval ?? ""))
        .join(".")
        .toLowerCase()
    : "";

export function routineCalls(tree: unknown): RoutineCalls {
  const functions = new Set<string>();
  const operators = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObj(v)) return;
    if (isObj(v.FuncCall)) functions.add(names(v.FuncCall.funcname));
    // CALL's procedure is a FuncCall's fields, not a FuncCall node.
    if (isObj(v.CallStmt) && isObj(v.CallStmt.funccall)) functions.add(names(v.CallStmt.funccall.funcname));
    // BETWEEN's "name" is the keyword, not an operator (it expands to <= and >=).
    if (isObj(v.A_Expr) && Array.isArray(v.A_Expr.name) && !String(v.A_Expr.kind).includes("BETWEEN")) operators.add(names(v.A_Expr.name));
    for (const k in v) walk(v[k]);
  };
  walk(tree);
  return { functions: [...functions], operators: [...operators] };
}

/**
 * The built-ins that run a query given as text (or a cursor's), as a pattern of their names: what
 * they return cannot be traced to columns. One list for the parse trees (RUNS_SQL_TEXT), function
 * bodies (masked-copies.ts) and the catalog's query for views that call them (column-catalog.ts).
 */
export const SQL_TEXT_BUILTINS = "(?:query|table|cursor|schema|database)_to_xml(?:_and_xmlschema|schema)?|ts_stat|ts_rewrite";
export const RUNS_SQL_TEXT = new RegExp(`^(?:pg_catalog\\.)?(?:${SQL_TEXT_BUILTINS})$`);

/**
 * Whether a statement calls something whose result masking cannot trace: a routine outside
 * pg_catalog (or one whose name is also defined elsewhere, so the search_path may pick it), or a
 * built-in that runs SQL text. `builtins` unknown (not loaded, unreadable): true when anything is called.
 */
export function callsOpaqueRoutine(calls: RoutineCalls, builtins: { functions: Set<string>; operators: Set<string> } | null | undefined): boolean {
  if (!calls.functions.length && !calls.operators.length) return false;
  if (!builtins) return true;
  const opaque = (name: string, known: Set<string>) => {
    const parts = name.split(".");
    return (parts.length > 1 && parts.at(-2) !== "pg_catalog") || !known.has(parts.at(-1)!);
  };
  return calls.functions.some((f) => RUNS_SQL_TEXT.test(f) || opaque(f, builtins.functions)) || calls.operators.some((o) => opaque(o, builtins.operators));
}
