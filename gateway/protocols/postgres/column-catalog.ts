import pg from "pg";
import type { PgTarget } from "./target-socket";
import type { StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { statementLineage, type ColumnRead } from "../../../core/sql/column-lineage";
import type { TypeInfo } from "./pg-value-masking";
import { ANCESTORS, DESCENDANTS, ROUTINE_CODE, TABLE_HOOKS, VIEW_BASE_COLUMNS, VIEW_CALLS_OPAQUE } from "./catalog-queries";
import { calledNames, hookedRoutines, ROUTINE_DEPTH, writeHooksOf, type TableHookRow, type WriteHooks } from "./routine-code";
import type { RoutineDefinition } from "../../../core/policy/pg-routine-effects";

export type RelationInfo = {
  schema: string;
  name: string;
  columns: Map<number, string>;
  /** For a view: what each of its columns (by attnum - 1) reads, traced through its definition. */
  viewReads?: ColumnRead[][];
  /** For a view: every table column it depends on, through the views it reads (pg_depend); with its table's hierarchy (see `ancestors`). */
  viewBase?: ViewBaseColumn[];
  /** For a view: it (or a view it reads, at any depth) calls a function masking cannot see into (see VIEW_CALLS_OPAQUE). */
  viewOpaque?: boolean;
  /**
   * The tables it inherits from or is a partition of, and those that inherit from it or are its
   * partitions, at any depth: their column rules cover its columns of the same name (the same rows
   * read through the parent, or the partitions' rows read through it; a rule on a partition masks
   * the parent's column in every row: stricter).
   */
  ancestors?: Ancestor[];
};
export type Ancestor = { schema: string; table: string };
export type ViewBaseColumn = { table: string; column: string; kind: string; family?: Ancestor[] };

const ancestorsOf = (up: [string, string][] | null, down: [string, string][] | null): Ancestor[] | undefined => {
  const rows = [...(up ?? []), ...(down ?? [])];
  return rows.length ? rows.map(([schema, table]) => ({ schema, table })) : undefined;
};

const TTL_MS = 60_000;
/**
 * A routine lookup that failed is remembered this long, not a minute: meanwhile guardrails judge every
 * call not known to be a built-in as code they cannot see (and masking masks what it computes), so a
 * passing failure should not refuse a minute of `select count(*)`.
 */
const FAILED_TTL_MS = 5_000;

type Cached<T> = { value: T; at: number };
/** A SQL-standard body (BEGIN ATOMIC, RETURN) has no prosrc: its definition, from the body on. */
const standardBody = (c: string) => (c.startsWith("CREATE ") ? c.slice(Math.max(0, c.search(/\n(?:BEGIN ATOMIC|RETURN )/))) : c);

/**
 * The target's catalog as masking needs it: table OID + attribute number -> schema.table.column,
 * views traced to what they read, user-defined types classified. Read through a small pool with
 * the gateway's own credentials for the connection (the client's session is busy streaming and
 * must not see our queries), cached by OID for a minute and dropped when a session on the
 * connection runs DDL, so a rename is seen at once there and within a minute elsewhere.
 * A relation or type that cannot be read is cached as absent: the caller then masks (fail closed).
 */

export class TargetCatalog {
  private readonly relations = new Map<number, Cached<RelationInfo | null>>();
  private readonly types = new Map<number, Cached<TypeInfo | null>>();
  /** Function and operator names that exist only in pg_catalog (a call to any other can read anything). */
  private builtins: Cached<{ functions: Set<string>; operators: Set<string>; eventTriggers: string[] } | null> | undefined;
  /** Relation name as SQL names it -> OIDs of the views it may denote (null: could not be read). */
  private readonly viewNames = new Map<string, Cached<number[] | null>>();
  /** Function name (lower case, unqualified) -> the languages and SQL/PL bodies of its definitions outside pg_catalog and information_schema (null: could not be read). */
  private readonly routineNames = new Map<string, Cached<{ langs: string[]; code: string[]; defs: RoutineDefinition[] } | null>>();
  /** Table name (lower case, unqualified) -> what each kind of write to it runs: its triggers' functions by name, its rules' actions (null: could not be read). */
  private readonly writeHooks = new Map<string, Cached<WriteHooks | null>>();
  private pool: pg.Pool | undefined;

  constructor(
    private readonly target: PgTarget,
    private readonly analyzer: StatementAnalyzer,
    private readonly now: () => number = Date.now,
  ) {}

  relation(oid: number): RelationInfo | null | undefined {
    const c = this.relations.get(oid);
    return c && this.now() - c.at < TTL_MS ? c.value : undefined;
  }

  type(oid: number): TypeInfo | null | undefined {
    const c = this.types.get(oid);
    return c && this.now() - c.at < TTL_MS ? c.value : undefined;
  }

  /**
   * The views a relation name read in SQL may denote: every view or materialized view of that name
   * in any schema (temporary ones included) unless the name is qualified, since the client's
   * search_path is not ours; over-matching masks more, never less. [] when none; null when the
   * catalog could not be read (the caller masks); undefined when not loaded yet.
   */
  viewsNamed(name: string): RelationInfo[] | null | undefined {
    const c = this.viewNames.get(name);
    if (!c || this.now() - c.at >= TTL_MS) return undefined;
    if (c.value === null) return null;
    const out: RelationInfo[] = [];
    for (const oid of c.value) {
      const r = this.relation(oid);
      if (r === undefined) return undefined;
      if (r === null) return null;
      out.push(r);
    }
    return out;
  }

  /** Built-in-only routine names; null when they could not be read; undefined when not loaded yet. */
  builtinRoutines(): { functions: Set<string>; operators: Set<string>; eventTriggers: string[] } | null | undefined {
    const c = this.builtins;
    return c && this.now() - c.at < TTL_MS ? c.value : undefined;
  }

  /** The functions of the target's enabled event triggers (read with the built-in names; core/policy/pg-event-triggers.ts); as builtinRoutines. */
  eventTriggers(): string[] | null | undefined {
    const b = this.builtinRoutines();
    return b && b.eventTriggers;
  }

  /**
   * The languages (`sql`, `plpgsql`, `c`...) of the functions of this name outside pg_catalog and
   * information_schema, in any schema: [] when there are none; null when the catalog could not be
   * read; undefined when not loaded yet.
   */
  routineLanguages(name: string): string[] | null | undefined {
    const c = this.routineNames.get(name);
    if (!c || this.now() - c.at >= TTL_MS) return undefined;
    return c.value && c.value.langs;
  }

  /** The bodies of the functions and procedures of this name written in SQL or a procedural language, outside pg_catalog and information_schema; as routineLanguages. */
  routineCode(name: string): string[] | null | undefined {
    const c = this.routineNames.get(name);
    if (!c || this.now() - c.at >= TTL_MS) return undefined;
    return c.value && c.value.code;
  }

  /** Each definition of this name outside pg_catalog and information_schema (guardrails judge a call by them); as routineLanguages. */
  routineDefinitions(name: string): RoutineDefinition[] | null | undefined {
    const c = this.routineNames.get(name);
    if (!c || this.now() - c.at >= TTL_MS) return undefined;
    return c.value && c.value.defs;
  }

  /**
   * Looks up routines by name, and then the routines their bodies call (by name, as their text
   * calls them), down to the names ROUTINE_DEPTH levels down call, so that what a call runs can be judged in one wait.
   */
  async loadRoutineNames(names: string[], depth = 0): Promise<void> {
    const at = this.now();
    let rows: Array<{ name: string; defs: Array<[string, boolean, string | null, boolean, string, string | null]> }>;
    try {
      // Each definition once (its body may be pg_get_functiondef's whole text): the languages and bodies masking reads are taken from them.
      ({ rows } = await this.connect().query(
        `select p.proname::text as name, json_agg(json_build_array(l.lanname::text, p.provolatile = 'v', ${ROUTINE_CODE}, p.prokind = 'p', pg_get_function_arguments(p.oid), pg_get_function_result(p.oid))) as defs
          from pg_proc p join pg_language l on l.oid = p.prolang
          where p.proname = any($1::text[]) and p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) group by p.proname`,
        [names],
      ));
    } catch (err) {
      for (const n of names) this.routineNames.set(n, { value: null, at: at - TTL_MS + FAILED_TTL_MS });
      throw err;
    }
    const called = new Set<string>();
    for (const n of names) {
      const row = rows.find((r) => r.name === n);
      const defs = (row?.defs ?? []).map(([lang, volatile, body, procedure, args, result]) => ({
        lang,
        volatile,
        body: body === null ? null : standardBody(body),
        signature: { procedure, args, result },
      }));
      const langs = [...new Set(defs.map((d) => d.lang))];
      const code = defs.flatMap((d) => (d.body === null ? [] : [d.body]));
      this.routineNames.set(n, { value: { langs, code, defs }, at });
      for (const body of code) for (const callee of calledNames(body)) called.add(callee);
    }
    const builtins = this.builtinRoutines();
    const next = [...called].filter((n) => this.routineCode(n) === undefined && !builtins?.functions.has(n)).slice(0, 500);
    if (next.length && depth <= ROUTINE_DEPTH) await this.loadRoutineNames(next, depth + 1);
  }

  /**
   * What each kind of write to a table of this name (in any schema) runs besides itself: the
   * functions of its row and statement triggers (by name; their code is looked up with them) and the
   * actions of its rules other than ON SELECT. Empty lists when there are none; null when
   * unreadable; undefined when not loaded.
   */
  tableHooks(name: string): WriteHooks | null | undefined {
    const c = this.writeHooks.get(name);
    return c && this.now() - c.at < TTL_MS ? c.value : undefined;
  }

  async loadTableHooks(names: string[]): Promise<void> {
    const at = this.now();
    let rows: TableHookRow[];
    try {
      ({ rows } = await this.connect().query(TABLE_HOOKS, [names]));
    } catch (err) {
      // Remembered briefly, as a failed routine lookup is: under a policy a write to these tables counts as code the gateway cannot see meanwhile.
      for (const n of names) this.writeHooks.set(n, { value: null, at: at - TTL_MS + FAILED_TTL_MS });
      throw err;
    }
    const functions = new Set<string>();
    for (const n of names) {
      const hooks = writeHooksOf(rows.filter((r) => r.name === n));
      // The routines its triggers and computed columns call, looked up with it.
      for (const fn of hookedRoutines(hooks)) if (this.routineCode(fn) === undefined && !this.builtinRoutines()?.functions.has(fn)) functions.add(fn);
      this.writeHooks.set(n, { value: hooks, at });
    }
    if (functions.size) await this.loadRoutineNames([...functions]);
  }

  async loadBuiltinRoutines(): Promise<void> {
    const at = this.now();
    try {
      const { rows } = await this.connect().query<{ kind: string; names: string[] }>(
        `select 'f' as kind, array(select proname::text from pg_proc group by proname having bool_and(pronamespace = 'pg_catalog'::regnamespace)) as names
         union all
         select 'o', array(select oprname::text from pg_operator group by oprname having bool_and(oprnamespace = 'pg_catalog'::regnamespace))
         union all
         select 'e', array(select distinct p.proname::text from pg_event_trigger e join pg_proc p on p.oid = e.evtfoid where e.evtenabled <> 'D' and e.evtevent <> 'login')`,
      );
      const of = (k: string) => rows.find((r) => r.kind === k)?.names ?? [];
      this.builtins = { value: { functions: new Set(of("f")), operators: new Set(of("o")), eventTriggers: of("e") }, at };
    } catch (err) {
      this.builtins = { value: null, at: at - TTL_MS + FAILED_TTL_MS };
      throw err;
    }
    // The event triggers' functions are judged for every DDL statement: their code is read with them.
    const unread = this.builtins.value!.eventTriggers.filter((fn) => this.routineCode(fn) === undefined);
    if (unread.length) await this.loadRoutineNames(unread);
  }

  async loadViewNames(names: string[]): Promise<void> {
    const at = this.now();
    try {
      const split = names.map((n) => n.toLowerCase().split("."));
      const { rows } = await this.connect().query<{ oid: number; nspname: string; relname: string }>(
        `select c.oid::int as oid, n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('v', 'm') and c.relname = any($1::text[])`,
        [split.map((p) => p.at(-1)!)],
      );
      const oidsOf = split.map((p) => rows.filter((r) => r.relname === p.at(-1) && (p.length < 2 || r.nspname === p.at(-2))).map((r) => r.oid));
      const missing = [...new Set(oidsOf.flat())].filter((oid) => this.relation(oid) === undefined);
      if (missing.length) await this.load(missing, []);
      names.forEach((n, i) => this.viewNames.set(n, { value: oidsOf[i], at }));
    } catch (err) {
      for (const n of names) this.viewNames.set(n, { value: null, at });
      throw err;
    }
  }

  /** What could not be read is remembered as unknown for a while (its columns are masked meanwhile). */
  markUnknown(relationOids: number[], typeOids: number[]): void {
    const at = this.now();
    for (const oid of relationOids) this.relations.set(oid, { value: null, at });
    for (const oid of typeOids) this.types.set(oid, { value: null, at });
  }

  /** Counts the times the catalog dropped what it knew (invalidate): a decision taken by an older generation may be stale. */
  generation = 0;

  invalidate(): void {
    this.generation++;
    this.viewNames.clear();
    this.routineNames.clear();
    this.writeHooks.clear();
    this.builtins = undefined;
    this.relations.clear();
    this.types.clear();
  }

  async load(relationOids: number[], typeOids: number[]): Promise<void> {
    const at = this.now();
    const db = this.connect();
    if (relationOids.length) {
      const { rows } = await db.query<{
        oid: number;
        nspname: string;
        relname: string;
        cols: [number, string][];
        viewdef: string | null;
        base: [string, string, string, string, [string, string][] | null, [string, string][] | null][] | null;
        up: [string, string][] | null;
        down: [string, string][] | null;
        opaque: boolean | null;
      }>(
        `select c.oid::int as oid, n.nspname, c.relname,
           coalesce((select json_agg(json_build_array(a.attnum, a.attname)) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as cols,
           case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as viewdef,
           case when c.relkind in ('v', 'm') then (${VIEW_BASE_COLUMNS}) end as base,
           case when c.relkind in ('v', 'm') then ${VIEW_CALLS_OPAQUE} end as opaque,
           (${ANCESTORS}) as up,
           (${DESCENDANTS}) as down
         from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = any($1::oid[])`,
        [relationOids],
      );
      for (const oid of relationOids) this.relations.set(oid, { value: null, at });
      for (const r of rows) {
        const viewBase = r.base?.map(([schema, table, column, kind, up, down]): ViewBaseColumn => ({ table: `${schema}.${table}`, column, kind, family: ancestorsOf(up, down) }));
        this.relations.set(r.oid, {
          value: {
            schema: r.nspname,
            name: r.relname,
            columns: new Map(r.cols),
            viewReads: r.viewdef ? this.viewReads(r.viewdef) : undefined,
            viewBase: r.viewdef ? (viewBase ?? []) : undefined,
            viewOpaque: r.opaque === true,
            ancestors: ancestorsOf(r.up, r.down),
          },
          at,
        });
      }
    }
    if (typeOids.length) {
      const { rows } = await db.query<{ oid: number; typtype: string; typcategory: string; typelem: number; base: number }>(
        `select t.oid::int as oid, t.typtype::text, t.typcategory::text, t.typelem::int, t.typbasetype::int as base from pg_type t where t.oid = any($1::oid[])`,
        [typeOids],
      );
      for (const oid of typeOids) this.types.set(oid, { value: null, at });
      for (const r of rows) {
        const kind = r.typtype === "c" ? "record" : r.typcategory === "A" ? "array" : r.typcategory === "S" || r.typtype === "e" ? "text" : r.typtype === "d" ? "text" : "scalar";
        // A domain is masked like text unless its base is known to be otherwise (conservative: text is scanned).
        this.types.set(r.oid, { value: { kind, elem: r.typcategory === "A" ? r.typelem : r.base }, at });
      }
    }
  }

  /** The columns of a relation named in SQL (COPY table TO STDOUT), in order. */
  async columnsOf(name: string): Promise<{ schema: string; table: string; columns: string[]; ancestors?: Ancestor[] } | null> {
    const { rows } = await this.connect().query<{ nspname: string; relname: string; cols: string[]; up: [string, string][] | null; down: [string, string][] | null }>(
      `select n.nspname, c.relname, array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as cols,
         (${ANCESTORS}) as up, (${DESCENDANTS}) as down
       from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1)`,
      [name],
    );
    return rows[0] ? { schema: rows[0].nspname, table: rows[0].relname, columns: rows[0].cols, ancestors: ancestorsOf(rows[0].up, rows[0].down) } : null;
  }

  async close(): Promise<void> {
    await this.pool?.end().catch(() => {});
    this.pool = undefined;
  }

  private viewReads(viewdef: string): ColumnRead[][] | undefined {
    const a = this.analyzer.analyze(viewdef);
    const lineage = a.ok && a.statements[0] ? statementLineage(a.statements[0].tree) : null;
    // pg_get_viewdef expands every `*`, so output i is the view's column i + 1.
    return lineage && !lineage.outputs.some((o) => o.star) ? lineage.outputs.map((o) => o.reads) : undefined;
  }

  private connect(): pg.Pool {
    if (this.pool) return this.pool;
    const t = this.target;
    const ssl = t.sslmode === "require" ? { rejectUnauthorized: false } : t.sslmode === "verify-full" ? { rejectUnauthorized: true } : false;
    this.pool = new pg.Pool({
      host: t.host,
      port: t.port,
      database: t.database,
      user: t.user,
      password: t.password,
      ssl,
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5000,
      statement_timeout: 5000,
      application_name: "gatehouse-masking-catalog",
    });
    this.pool.on("error", () => {}); // an idle client's error: the next query reconnects
    return this.pool;
  }
}

/** One catalog per connection, shared by its sessions on this gateway instance. */
export class TargetCatalogs {
  private readonly byConnection = new Map<string, TargetCatalog>();
  constructor(private readonly analyzer: StatementAnalyzer) {}

  for(connectionId: string, target: PgTarget): TargetCatalog {
    let c = this.byConnection.get(connectionId);
    if (!c) this.byConnection.set(connectionId, (c = new TargetCatalog(target, this.analyzer)));
    return c;
  }

  async close(): Promise<void> {
    await Promise.all([...this.byConnection.values()].map((c) => c.close()));
  }
}
