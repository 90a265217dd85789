import { ANONYMOUS } from "./anonymous-code";
import { addEveryTableOf } from "./every-table";
import type { Classification, StatementClass } from "./classify-statement";
import { strongest } from "./lock-levels";

/** A copy of a classification that mergeInto may change (the cached one stays as it was). */
const copyOf = (c: Classification): Classification => ({
  ...c,
  named: c.named ?? [...c.tables],
  runs: [...c.runs],
  classes: [...c.classes],
  tables: [...c.tables],
  functions: [...c.functions],
  sessionSettings: [...c.sessionSettings],
  everyTableOf: c.everyTableOf && [...c.everyTableOf],
});

/**
 * What a statement also runs (the SQL a built-in is handed, a routine body's statement): its kinds,
 * classes, tables, calls and settings added to `c`, in place. `addClass` takes the classes (a
 * classifier still collecting them keeps them in a set of its own).
 */
export function mergeInto(c: Classification, inner: Classification, addClass: (k: StatementClass) => unknown = (k) => c.classes.includes(k) || c.classes.push(k)): void {
  // A SELECT of no table is how a body's expressions are read (`new.at := now()`): no statement run, no table read.
  const expression = inner.kind === "SELECT" && inner.tables.length === 0 && !inner.everyTableOf?.length;
  for (const k of expression ? inner.runs : [inner.kind, ...inner.runs]) if (k !== c.kind && !c.runs.includes(k)) c.runs.push(k);
  for (const k of inner.classes) if (!expression || k !== "read") addClass(k);
  for (const t of inner.tables) if (!c.tables.includes(t)) c.tables.push(t);
  for (const f of inner.functions) if (!c.functions.includes(f)) c.functions.push(f);
  for (const s of inner.sessionSettings) if (!c.sessionSettings.includes(s)) c.sessionSettings.push(s);
  for (const s of inner.everyTableOf ?? []) addEveryTableOf(c, s);
  c.writesWithoutWhere ||= inner.writesWithoutWhere;
  c.copiesServerFile ||= inner.copiesServerFile;
  c.copiesProgram ||= inner.copiesProgram;
  if (inner.unknownRuns) {
    c.unknownRuns = true;
    c.unknownFrom = null;
  }
  c.locks = strongest(c.locks, inner.locks);
}

/** What a body runs, read (each statement classified), or why it cannot be read. */
export type BodyEffects = { effects: Classification[] } | { why: string };

/**
 * Code a statement sets off besides its own: `who` says how it reaches the code (`it calls f`), `whose`
 * what the code is (`a stored function whose body`), `found` what it runs.
 */
export type SetOff = { who: string; whose: string; found: BodyEffects; /** The routine called by name whose code this is. */ call?: string };

/** A person's account of what code added: `it calls f, a stored function whose body runs DELETE (tables t)`; undefined when it added nothing worth saying. */
function bodyNote(s: SetOff, effects: Classification[]): string | undefined {
  const kinds = [...new Set(effects.map((e) => e.kind).filter((k) => k !== "SELECT"))];
  const tables = [...new Set(effects.flatMap((e) => e.tables))];
  if (!kinds.length && !tables.length) return undefined;
  return `${s.who}, ${s.whose} ${kinds.length ? `runs ${kinds.join(", ")}` : "reads"}${tables.length ? ` (tables ${tables.join(", ")})` : ""}`;
}

/**
 * What code the gateway cannot read adds: anonymous code, which counts as write, ddl and privileges
 * (as DO and CALL do), may run any kind of statement and touch any table (deny and review rules on
 * kinds and tables meet it: a rule protecting one table is not passed by hiding the write in such code).
 */
function opaque(c: Classification, who: string, why: string, call?: string): string {
  for (const k of ANONYMOUS) if (!c.classes.includes(k)) c.classes.push(k);
  c.locks = strongest(c.locks, "ACCESS EXCLUSIVE");
  // Which calls made it unknown, while only calls did (an allow rule naming them vouches for them).
  const from = c.unknownRuns ? c.unknownFrom : [];
  c.unknownFrom = call !== undefined && Array.isArray(from) ? [...from, call] : null;
  c.unknownRuns = true;
  addEveryTableOf(c, "*");
  return `${who}, ${why}: judged as code the gateway cannot see, which counts as write, ddl and privileges`;
}

/**
 * A statement's classification with what the code it sets off runs merged in (`c` itself when that
 * adds nothing; a copy otherwise), and a note for a person: what the code runs, or why it counts as
 * code the gateway cannot see.
 */
export function withEffects(c: Classification, setOff: Iterable<SetOff>): { classification: Classification; note?: string } {
  let merged: Classification | null = null;
  const notes: string[] = [];
  for (const s of setOff) {
    const found = s.found;
    if (!("why" in found) && found.effects.length === 0) continue;
    merged ??= copyOf(c);
    if ("why" in found) {
      notes.push(opaque(merged, s.who, found.why, s.call));
      continue;
    }
    for (const e of found.effects) mergeInto(merged, e);
    const note = bodyNote(s, found.effects);
    if (note) notes.push(note);
  }
  return { classification: merged ?? c, note: notes.join("; ") || undefined };
}

/** withEffects for the routines a statement calls by name; `effectsOf` reads one (core/policy/*-routine-effects.ts). */
export function withCallEffects(c: Classification, called: readonly string[], effectsOf: (name: string) => BodyEffects): { classification: Classification; note?: string } {
  return withEffects(
    c,
    called.map((name) => ({ who: `it calls ${name}`, whose: "a stored function whose body", found: effectsOf(name), call: name })),
  );
}
