import { SQL_TEXT_BUILTINS } from "../../../core/sql/routine-calls";

// The catalog queries' parts that column-catalog.ts's TargetCatalog reads the target with (pg_catalog SQL).

// A partition's or an inheriting table's parents, up to the root (pg_inherits), of the relation the alias `rel` names.
const ancestorsOf = (rel: string) => `with recursive up(relid) as (
    select i.inhparent from pg_inherits i where i.inhrelid = ${rel}.oid
    union select i.inhparent from up join pg_inherits i on i.inhrelid = up.relid
  )
  select json_agg(json_build_array(an.nspname, a.relname)) from up join pg_class a on a.oid = up.relid join pg_namespace an on an.oid = a.relnamespace`;

// The tables that inherit from the relation `rel` or are its partitions, at any depth (a read of it reaches their rows).
const descendantsOf = (rel: string) => `with recursive down(relid) as (
    select i.inhrelid from pg_inherits i where i.inhparent = ${rel}.oid
    union select i.inhrelid from down join pg_inherits i on i.inhparent = down.relid
  )
  select json_agg(json_build_array(dn.nspname, d.relname)) from down join pg_class d on d.oid = down.relid join pg_namespace dn on dn.oid = d.relnamespace where d.relkind in ('r', 'p', 'f')`;

// Those of the relation c.
export const ANCESTORS = ancestorsOf("c");
export const DESCENDANTS = descendantsOf("c");

// The columns a view's rewrite rule depends on, and theirs when they are views, down to tables; with each relation's hierarchy (a view over a parent reads its partitions' rows).
export const VIEW_BASE_COLUMNS = `with recursive dep(relid, attnum) as (
    select d.refobjid, d.refobjsubid from pg_rewrite r join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
     where r.ev_class = c.oid and d.refobjid <> c.oid
    union
    select d.refobjid, d.refobjsubid from dep join pg_rewrite r on r.ev_class = dep.relid
      join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
     where d.refobjid <> r.ev_class
  )
  select json_agg(json_build_array(bn.nspname, b.relname, ba.attname, b.relkind::text, (${ancestorsOf("b")}), (${descendantsOf("b")}))) from dep
    join pg_class b on b.oid = dep.relid join pg_namespace bn on bn.oid = b.relnamespace
    join pg_attribute ba on ba.attrelid = dep.relid and ba.attnum = dep.attnum where dep.attnum > 0`;

/**
 * Whether a view, or a view it reads at any depth, calls a function masking cannot see into: a
 * routine outside pg_catalog and information_schema (whose own views call its SQL helpers, such as
 * `_pg_char_max_length`) written in SQL or a procedural language (its body may read any table), or
 * a built-in that runs SQL text. Its columns are then masked whole.
 */
export const VIEW_CALLS_OPAQUE = `exists (with recursive dep(relid) as (
    select c.oid
    union
    select d.refobjid from dep join pg_rewrite r on r.ev_class = dep.relid
      join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
     where d.refobjid <> r.ev_class
  )
  select 1 from dep join pg_rewrite r on r.ev_class = dep.relid
    join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_proc'::regclass
    join pg_proc p on p.oid = d.refobjid join pg_language l on l.oid = p.prolang
   where (p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) and l.lanname not in ('c', 'internal'))
      or p.proname ~ '^(?:${SQL_TEXT_BUILTINS})$')`;

// An aggregate's own code is its state and final functions' (when written in SQL or a procedural language).
export const AGGREGATE_CODE = `(select string_agg(f.prosrc, E'\\n') from pg_aggregate a join pg_proc f on f.oid in (a.aggtransfn, a.aggfinalfn)
  join pg_language fl on fl.oid = f.prolang where a.aggfnoid = p.oid and fl.lanname not in ('c', 'internal'))`;
/** A routine's code: an aggregate's (see AGGREGATE_CODE), none for C and internal ones, else its body (a SQL-standard body's definition). */
export const ROUTINE_CODE = `case when p.prokind = 'a' then ${AGGREGATE_CODE} when l.lanname in ('c', 'internal') then null when p.prosrc <> '' then p.prosrc else pg_get_functiondef(p.oid) end`;

/**
 * What writes to tables of these names (any schema) run: triggers, rules, computed columns, a view's relations, the foreign keys that reference them;
 * what reading a view or materialized view of these names reads: every relation under it through views at any depth (and the hierarchy of each table among them: its ancestors, whose rows its rows are, and its descendants, which a read of it reaches), with each view's definition;
 * and a table's inheritance or partition hierarchy: the tables it inherits from or is a partition of, and those that inherit from it or are its partitions, at any depth (routine-code.ts's TableHookRow).
 */
export const TABLE_HOOKS = `select c.relname::text as name,
           array(select json_build_array(p.proname::text, t.tgtype::int) from pg_trigger t join pg_proc p on p.oid = t.tgfoid where t.tgrelid = c.oid and not t.tgisinternal) as triggers,
           array(select json_build_array(r.ev_type::text, pg_get_ruledef(r.oid)) from pg_rewrite r where r.ev_class = c.oid and r.ev_type <> '1') as rules,
           array(select json_build_array(a.attname::text, pg_get_expr(d.adbin, d.adrelid)) from pg_attrdef d
             join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum where d.adrelid = c.oid) as computed,
           array(select distinct bn.nspname || '.' || b.relname from pg_rewrite r
             join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
             join pg_class b on b.oid = d.refobjid join pg_namespace bn on bn.oid = b.relnamespace
             where c.relkind = 'v' and r.ev_class = c.oid and r.ev_type = '1' and b.oid <> c.oid and b.relkind in ('r', 'p', 'v', 'f')) as through,
           array(select json_build_array(fn.nspname || '.' || fc.relname, f.confdeltype::text, f.confupdtype::text) from pg_constraint f
             join pg_class fc on fc.oid = f.conrelid join pg_namespace fn on fn.oid = fc.relnamespace
             where f.contype = 'f' and f.confrelid = c.oid) as referenced,
           array(with recursive dep(relid, dir) as (
               select c.oid, 'v' where c.relkind in ('v', 'm')
               union
               select n.relid, n.dir from dep cross join lateral (
                   select d.refobjid, 'v' from pg_rewrite r
                     join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
                    where r.ev_class = dep.relid and r.ev_type = '1' and d.refobjid <> r.ev_class
                   union all select i.inhparent, 'u' from pg_inherits i where i.inhrelid = dep.relid and dep.dir <> 'd'
                   union all select i.inhrelid, 'd' from pg_inherits i where i.inhparent = dep.relid and dep.dir <> 'u') n(relid, dir))
             select json_build_array(bn.nspname || '.' || b.relname, b.oid = c.oid, case when b.relkind in ('v', 'm') then pg_get_viewdef(b.oid) end)
               from dep join pg_class b on b.oid = dep.relid join pg_namespace bn on bn.oid = b.relnamespace
              where b.relkind in ('r', 'p', 'v', 'm', 'f')) as reads,
           (${ANCESTORS}) as ancestors,
           (${DESCENDANTS}) as descendants
          from pg_class c where c.relname = any($1::text[])`;
