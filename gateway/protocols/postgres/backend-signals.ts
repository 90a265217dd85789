import { parseSync } from "libpg-query";
import { kindOf } from "../../../core/sql/statement-analyzer";
import { PgError } from "./pg-error";
import { SqlState } from "./message-codes";
import type { Refusal } from "./guard-types";

type Node = Record<string, unknown>;

const SIGNALS = new Set(["pg_cancel_backend", "pg_terminate_backend"]);
const NAMED = /pg_(?:cancel|terminate)_backend/i;
// Texts that cannot call either function skip the parse: the name spelled out, or in a Unicode escape (U&"...").
const MAY_SIGNAL = /backend|u&/i;

/**
 * `pg_cancel_backend(pid)` and `pg_terminate_backend(pid)` through the gateway. Every agent of a
 * connection signs in to the target as the connection's one account, and a role may signal every
 * backend of its own role, so on the target these stop or end any other agent's session (the pids
 * are in `pg_stat_activity`). They are passed on only when each call's process id is a constant
 * naming the backend of a session of the same identity on the same connection, through this gateway
 * instance (what `pg_backend_pid()` said in that session). Anything else that names them is refused:
 * a pid from a subquery or a parameter, or the name in a string the server runs later as SQL (a
 * `DO` block, a function's body, dblink's text). A name built at run time from pieces is not seen
 * (a guardrail policy meets such code as anonymous code). Applies with or without a policy.
 */
export function backendSignalRefusal(text: string, ownBackend: (pid: number) => boolean): Refusal | null {
  if (!MAY_SIGNAL.test(text)) return null;
  let stmts: { stmt: Node }[];
  try {
    stmts = ((parseSync(text) as { stmts?: { stmt: Node }[] }).stmts ?? []) as { stmt: Node }[];
  } catch {
    return null; // the target's parser refuses it too (a policy, when there is one, refuses it first)
  }
  for (const { stmt } of stmts) {
    const fn = signalIn(stmt, ownBackend);
    if (!fn) continue;
    const node = Object.keys(stmt)[0];
    const message = `Gatehouse refused ${fn}: every agent of this connection signs in to the database as the same account, so it could stop another agent's session. It is passed on only with a constant process id of one of your own sessions through this gateway (what pg_backend_pid() returns there); to cancel your own running statement, use your client's cancel (Ctrl-C in psql)`;
    return { kind: kindOf(node, stmt[node] as Node), error: new PgError("ERROR", SqlState.InsufficientPrivilege, message) };
  }
  return null;
}

/** The function a statement's tree would call on a backend not the caller's own (or mentions in a string); null when none. */
function signalIn(tree: unknown, ownBackend: (pid: number) => boolean): string | null {
  if (Array.isArray(tree)) {
    for (const item of tree) {
      const found = signalIn(item, ownBackend);
      if (found) return found;
    }
    return null;
  }
  if (tree === null || typeof tree !== "object") return null;
  const node = tree as Node;
  const call = node.FuncCall as Node | undefined;
  if (call) {
    const names = (call.funcname as { String?: { sval?: string } }[] | undefined) ?? [];
    const fn = String(names.at(-1)?.String?.sval ?? "").toLowerCase();
    if (SIGNALS.has(fn)) {
      const pid = constantInt(((call.args as Node[] | undefined) ?? [])[0]);
      if (pid === null || !ownBackend(pid)) return fn;
    }
    return signalIn(call.args, ownBackend) ?? signalIn(call.agg_filter, ownBackend) ?? signalIn(call.over, ownBackend) ?? signalIn(call.agg_order, ownBackend);
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "sval" && typeof value === "string") {
      const m = NAMED.exec(value);
      if (m) return m[0].toLowerCase();
      continue;
    }
    const found = signalIn(value, ownBackend);
    if (found) return found;
  }
  return null;
}

/** An integer constant argument (`123`, `'123'`, `123::int`, `pid => 123`); null for anything else. */
function constantInt(arg: Node | undefined): number | null {
  let a = arg;
  while (a) {
    const next = ((a.NamedArgExpr ?? a.TypeCast) as Node | undefined)?.arg as Node | undefined;
    if (!next) break;
    a = next;
  }
  const c = a?.A_Const as { ival?: { ival?: number }; sval?: { sval?: string } } | undefined;
  if (!c) return null;
  if (c.ival) return c.ival.ival ?? 0;
  if (c.sval && /^\s*\d+\s*$/.test(c.sval.sval ?? "")) return Number(c.sval.sval);
  return null;
}
