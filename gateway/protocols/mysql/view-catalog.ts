import { viewColumns, viewFunctions, type ColumnReference, type MysqlLineage } from "../../../core/sql/mysql-columns";
import { analyzeMysql } from "../../../core/policy/classify-mysql";
import { CatalogConnection } from "./catalog-connection";
import type { ForeignKeyCascade, ReferentialAction } from "../../../core/sql/written-tables";
import type { TargetSession } from "./target-login";
import { MAX_NESTING } from "./view-rules";

/** A view of the target: its definition as information_schema.VIEWS gives it, and (read when first needed) what each column reads and the functions it calls. */
export type View = {
  schema: string;
  name: string;
  definition: string;
  columns?: Array<{ name: string; reads: ColumnReference[] }> | null;
  functions?: ReturnType<typeof viewFunctions>;
};

const referentialAction = (rule: string | undefined): ReferentialAction | undefined => (rule === "CASCADE" || rule === "SET NULL" || rule === "SET DEFAULT" ? rule : undefined);

const TTL_MS = 60_000;
/** A read that failed is tried again after this long (meanwhile what it would have told counts as unreadable: fail closed). */
const FAILED_MS = 5_000;
/** An entry past its minute still answers for a while: the statement that loaded it may stream results for longer. */
const GRACE_MS = 30_000;

/** What a text or a body calls: `CALL [db.]p` or `f(`; the name in the first or second group. */
export const CALLED = /\bcall\s+(?:`?[\w$]+`?\.)?`?([\w$]+)|([\w$]+)`?\s*\(/gi;
const bare = (name: string) => name.toLowerCase().split(".").at(-1)!;
/** A name as a string literal no client text can break out of: hex, converted to the catalog's text. */
const literal = (s: string) => `convert(0x${Buffer.from(s, "utf8").toString("hex") || "00"} using utf8mb4)`;

/**
 * The views of one connection's target as masking needs them: by name (a result column names a view
 * or an alias, never the base table: MariaDB's column definitions say no more), each column traced
 * through its definition. Read from information_schema.VIEWS through a connection of the gateway's
 * own with the connection's credentials, before a statement that names them is forwarded (and the
 * views those read, down to MAX_NESTING); cached a minute by name (a name that is no view too) and
 * dropped when a session on the connection runs DDL, so a view created or replaced is seen at once
 * there and within a minute elsewhere. What cannot be read is cached as unreadable: the columns read
 * through it are masked (fail closed).
 */
export class ViewCatalog {
  private readonly byName = new Map<string, { at: number; views: View[] | null }>();
  /** When every view was read (for statements whose relations the text does not name), and whether that worked. */
  private everything: { at: number; ok: boolean } | null = null;
  private generation = 0;
  private loading: Promise<void> | null = null;
  /**
   * The target's stored functions by name, the tables with triggers, and every stored routine's
   * bodies by name (a body null: the account may not read it), lower case (null: could not be
   * read), and when they were read.
   */
  private functions: {
    at: number;
    names: Set<string> | null;
    routines: Map<string, Array<string | null>> | null;
    /** Table -> its triggers' event (insert, update, delete) and body. */
    triggers: Map<string, Array<{ event: string; body: string }>> | null;
    /** Referenced table -> the tables whose foreign keys write their rows when one of its rows is deleted or its key updated. */
    cascades: Map<string, ForeignKeyCascade[]> | null;
    /** A routine's body -> its parameters' names, lower case (only those every routine of that body has). */
    parameters: Map<string, string[]>;
  } | null = null;
  private loadingFunctions: Promise<void> | null = null;

  constructor(
    readonly connection: CatalogConnection,
    private readonly log: (m: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The views a name (`table` or `schema.table`) may denote: of that name in any schema unless it is
   * qualified (the session's current database is not tracked; over-matching masks more, never less).
   * [] when none; null when they could not be read; undefined when not loaded.
   */
  viewsNamed(name: string): View[] | null | undefined {
    const parts = name.toLowerCase().split(".");
    const schema = parts.length > 1 ? parts.at(-2)! : null;
    const e = this.byName.get(parts.at(-1)!);
    const all = this.everything;
    const views = e && this.usable(e.at) ? e.views : all && this.usable(all.at) ? (all.ok ? [] : null) : undefined;
    return views && schema !== null ? views.filter((v) => v.schema.toLowerCase() === schema) : views;
  }

  /**
   * Whether a function a text calls is one of the target's stored functions, whose body may read any
   * table (the text names none of them): true when they could not be read; undefined when not loaded.
   */
  isStoredFunction(name: string): boolean | undefined {
    const f = this.functions;
    if (!f || !this.usable(f.at)) return undefined;
    return f.names === null || f.names.has(name.toLowerCase());
  }

  /** The first of these function names that is (or, the functions not known or unreadable, may be) one of the target's stored functions. */
  storedFunctionAmong(names: readonly string[]): string | undefined {
    return names.find((n) => this.isStoredFunction(n) !== false);
  }

  /**
   * Whether a table (`table` or `schema.table`, matched by its name in any schema) has triggers,
   * whose code may say anything it reads (SIGNAL): true when they could not be read; undefined when
   * not loaded (with the stored functions: ensureFunctions).
   */
  hasTriggers(table: string): boolean | undefined {
    const f = this.functions;
    if (!f || !this.usable(f.at)) return undefined;
    return f.triggers === null || f.triggers.has(bare(table));
  }

  /**
   * The code a call of this routine runs: the bodies of the stored procedures and functions of that
   * name (in any database) and of the routines they call in turn. [] when it is no stored routine;
   * null when some of that code could not be read; undefined when the routines are not loaded.
   */
  /** The names of the parameters of the routine(s) whose body this is ([] when none or not known). */
  routineParameters(body: string): readonly string[] {
    return this.functions?.parameters.get(body) ?? [];
  }

  routineCode(name: string): string[] | null | undefined {
    const f = this.functions;
    if (!f || !this.usable(f.at)) return undefined;
    const routines = f.routines;
    if (routines === null) return null;
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (n: string): boolean => {
      if (seen.has(n)) return true;
      seen.add(n);
      for (const body of routines.get(n) ?? []) {
        if (body === null) return false;
        out.push(body);
        for (const m of body.matchAll(CALLED)) if (!visit((m[1] ?? m[2]).toLowerCase())) return false;
      }
      return true;
    };
    return visit(bare(name.replace(/`/g, ""))) ? out : null;
  }

  /**
   * The code a write of these kinds (insert, update, delete) to a table runs besides itself: its
   * triggers' bodies for those events and the stored routines they call. [] when none; null when the
   * triggers or a routine's body could not be read; undefined when not loaded (ensureFunctions).
   */
  triggerCode(table: string, events: readonly string[]): string[] | null | undefined {
    const f = this.functions;
    if (!f || !this.usable(f.at)) return undefined;
    if (f.triggers === null) return null;
    const out: string[] = [];
    for (const t of f.triggers.get(bare(table.replace(/`/g, ""))) ?? []) {
      if (!events.includes(t.event)) continue;
      out.push(t.body);
      for (const m of t.body.matchAll(CALLED)) {
        const code = this.routineCode(m[1] ?? m[2]);
        if (code === null) return null;
        out.push(...(code ?? []));
      }
    }
    return out;
  }

  /** The foreign keys whose actions write other tables' rows when a row of this table is deleted or its key updated: null when unreadable, undefined when not loaded (ensureFunctions). */
  cascadesOf(table: string): ForeignKeyCascade[] | null | undefined {
    const f = this.functions;
    if (!f || !this.usable(f.at)) return undefined;
    return f.cascades && (f.cascades.get(bare(table.replace(/`/g, ""))) ?? []);
  }

  /**
   * What masking must know before judging a text or masking its rows: the views of the relations it
   * names (every view when it cannot be read or calls a routine: a routine's body names its own), and
   * the stored functions and routines when it calls any, names a relation (a view may call one) or
   * cannot be read; with `writes` (the statement guard's look before a write), also the views their
   * triggers' bodies name. Undefined when there is nothing to wait for. Never rejects.
   */
  ensureFor(l: MysqlLineage | null, opts: { writes?: boolean } = {}): Promise<void> | undefined {
    const views = this.ensure(!l || l.calls || l.functions.length ? "all" : l.relations);
    const functions = !l || l.calls || l.functions.length || l.relations.length ? this.ensureFunctions() : undefined;
    const both = views && functions ? Promise.all([views, functions]).then(() => {}) : (views ?? functions);
    // For a write, then the views the triggers of the relations it names may name (their bodies are judged by their words).
    const triggered = () =>
      l && opts.writes ? this.ensure(l.relations.flatMap((r) => (this.triggerCode(r, ["insert", "update", "delete"]) ?? []).flatMap((b) => b.match(/[A-Za-z_][\w$]*/g) ?? []))) : undefined;
    return both ? both.then(triggered) : triggered();
  }

  /** Reads the target's stored routines and the tables with triggers unless known: undefined when there is nothing to wait for. Never rejects. */
  ensureFunctions(): Promise<void> | undefined {
    if (this.functions && this.fresh(this.functions.at)) return undefined;
    if (this.loadingFunctions) return this.loadingFunctions;
    const generation = this.generation;
    const at = this.now();
    const load = (this.loadingFunctions = this.connection
      .query(
        `select if(r.ROUTINE_TYPE = 'FUNCTION', 'f', 'p'), r.ROUTINE_NAME, r.ROUTINE_DEFINITION,
            (select group_concat(p.PARAMETER_NAME separator ',') from information_schema.PARAMETERS p
              where p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA and p.SPECIFIC_NAME = r.SPECIFIC_NAME and p.ROUTINE_TYPE = r.ROUTINE_TYPE)
            from information_schema.ROUTINES r
          union all select concat('t', lower(EVENT_MANIPULATION)), EVENT_OBJECT_TABLE, ACTION_STATEMENT, null from information_schema.TRIGGERS
          union all select concat('k', DELETE_RULE, '|', UPDATE_RULE), REFERENCED_TABLE_NAME, concat(CONSTRAINT_SCHEMA, '.', TABLE_NAME), null
            from information_schema.REFERENTIAL_CONSTRAINTS where DELETE_RULE in ('CASCADE', 'SET NULL', 'SET DEFAULT') or UPDATE_RULE in ('CASCADE', 'SET NULL', 'SET DEFAULT')`,
      )
      .then(
        (rows) => {
          const routines = new Map<string, Array<string | null>>();
          const triggers = new Map<string, Array<{ event: string; body: string }>>();
          const cascades = new Map<string, ForeignKeyCascade[]>();
          const parameters = new Map<string, string[]>();
          for (const [k, given, body, params] of rows) {
            const name = (given ?? "").toLowerCase();
            if (k?.startsWith("k")) {
              const [onDelete, onUpdate] = k.slice(1).split("|").map(referentialAction);
              cascades.set(name, [...(cascades.get(name) ?? []), { table: body ?? "", onDelete, onUpdate }]);
              continue;
            }
            if (k?.startsWith("t")) triggers.set(name, [...(triggers.get(name) ?? []), { event: k.slice(1), body: body ?? "" }]);
            else routines.set(name, [...(routines.get(name) ?? []), body]);
            if (k?.startsWith("t") || body === null) continue;
            // Two routines of one body: only the names both take are parameters of it (a SET of another name stays a setting).
            const own = (params ?? "")
              .split(",")
              .map((n) => n.trim().toLowerCase())
              .filter(Boolean);
            const known = parameters.get(body);
            parameters.set(body, known ? known.filter((n) => own.includes(n)) : own);
          }
          const names = new Set(rows.filter(([k]) => k === "f").map(([, name]) => (name ?? "").toLowerCase()));
          return { names, routines, triggers, cascades, parameters };
        },
        (err: Error) => {
          this.log(
            `masking and guardrails: could not read the target's stored functions, procedures and triggers (${err.message}); what any function computes is masked, and under guardrails a call of any function but a built-in, and a write to any table (its triggers), counts as code the gateway cannot see`,
          );
          return { names: null, routines: null, triggers: null, cascades: null, parameters: new Map<string, string[]>() };
        },
      )
      .then(({ names, routines, triggers, cascades, parameters }) => {
        if (generation === this.generation) this.functions = { at: routines === null ? at - TTL_MS + FAILED_MS : at, names, routines, triggers, cascades, parameters };
      })
      .finally(() => {
        if (this.loadingFunctions === load) this.loadingFunctions = null;
      }));
    return load;
  }

  /**
   * Whether what a view's column carries may come from one of the target's stored functions, whose
   * body reads what the definition does not name: its own expression calls one (`create view v as
   * select id, first_code() as f`: f, not id), or the definition calls one elsewhere (a derived
   * table, another branch of a UNION), or it cannot be read, or the functions are not known.
   */
  storedFunctionIn(v: View, column: string): boolean {
    if (v.functions === undefined) v.functions = viewFunctions(v.definition);
    const f = v.functions;
    if (f === null || this.storedFunctionAmong(f.elsewhere) !== undefined) return true;
    const columns = this.columnsOf(v) ?? [];
    return f.columns.some((names, i) => columns[i]?.name === column.toLowerCase() && this.storedFunctionAmong(names) !== undefined);
  }

  /** A view's columns and what each reads; null when its definition is empty (the account lacks SHOW VIEW) or cannot be parsed. */
  columnsOf(v: View): Array<{ name: string; reads: ColumnReference[] }> | null {
    if (v.columns === undefined) v.columns = viewColumns(v.definition);
    return v.columns;
  }

  /**
   * Reads the views of these relation names (or every view) unless known: undefined when there is
   * nothing to wait for. One read at a time (sessions starting together wait for the one under way,
   * which may read what they need). Never rejects.
   */
  ensure(names: string[] | "all"): Promise<void> | undefined {
    const all = this.everything && this.fresh(this.everything.at);
    const missing = names === "all" ? (all ? [] : "all") : [...new Set(names.map(bare))].filter((n) => !all && !this.fresh(this.byName.get(n)?.at));
    if (!missing.length) return undefined;
    if (this.loading) return this.loading.then(() => this.ensure(names));
    const load = (this.loading = this.load(missing).finally(() => {
      if (this.loading === load) this.loading = null;
    }));
    return load;
  }

  /**
   * A session's statement on the connection finished: DDL, or what may run some (a procedure, an
   * EXECUTE, a text the classifier cannot read), drops what is known; a load under way is not kept.
   */
  afterStatement(text: string, serverVersion?: number): void {
    if (this.byName.size === 0 && this.everything === null && this.loading === null) return;
    const a = analyzeMysql(text, serverVersion);
    const ddl = !a.ok || a.statements.some((s) => s.classification.executes || s.classification.classes.some((c) => c === "ddl" || c === "anonymous-code"));
    if (!ddl) return;
    this.byName.clear();
    this.everything = null;
    this.functions = null;
    this.generation++;
  }

  private fresh(at: number | undefined): boolean {
    return at !== undefined && this.now() - at < TTL_MS;
  }

  private usable(at: number): boolean {
    return this.now() - at < TTL_MS + GRACE_MS;
  }

  private async load(first: string[] | "all"): Promise<void> {
    const generation = this.generation;
    let names = first;
    for (let depth = 0; depth <= MAX_NESTING && (names === "all" || names.length); depth++) {
      const at = this.now();
      let rows;
      try {
        const where = names === "all" ? "" : ` where TABLE_NAME in (${names.map(literal).join(", ")})`;
        rows = await this.connection.query(`select TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION from information_schema.VIEWS${where}`);
      } catch (err) {
        this.log(`masking: could not read the target's views (${(err as Error).message}); columns read through them are masked`);
        if (generation !== this.generation) return;
        const failed = at - TTL_MS + FAILED_MS;
        if (names === "all") this.everything = { at: failed, ok: false };
        else for (const n of names) this.byName.set(n, { at: failed, views: null });
        return;
      }
      // DDL meanwhile: what was read may be stale, and is not kept (what the waiting statement reads through it is masked).
      if (generation !== this.generation) return;
      const found = new Map<string, View[]>(names === "all" ? [] : names.map((n) => [n, []]));
      for (const [schema, name, definition] of rows) {
        const key = bare(name ?? "");
        found.set(key, [...(found.get(key) ?? []), { schema: schema ?? "", name: name ?? "", definition: definition ?? "" }]);
      }
      for (const [n, views] of found) this.byName.set(n, { at, views });
      if (names === "all") {
        this.everything = { at, ok: true };
        return; // every view is known (their definitions are parsed when a column is looked up)
      }
      // The relations the views read, read in turn: a view over a view is traced to its tables.
      const next = [...found.values()].flat().flatMap((v) => (this.columnsOf(v) ?? []).flatMap((c) => c.reads.map((r) => (r.table ? bare(r.table) : ""))));
      names = [...new Set(next)].filter((n) => n && this.viewsNamed(n) === undefined);
    }
  }
}

/** One catalog per MySQL connection, shared by its sessions on this gateway instance. */
export class ViewCatalogs {
  private readonly byConnection = new Map<string, ViewCatalog>();
  constructor(private readonly log: (m: string) => void) {}

  /** The connection's catalog, signing in as `login` says (the latest session's: its settings may have been edited since). */
  for(connectionId: string, login: () => Promise<TargetSession>): ViewCatalog {
    let c = this.byConnection.get(connectionId);
    if (!c) this.byConnection.set(connectionId, (c = new ViewCatalog(new CatalogConnection(login), this.log)));
    c.connection.login = login;
    return c;
  }

  close(): void {
    for (const c of this.byConnection.values()) c.connection.close();
  }
}
