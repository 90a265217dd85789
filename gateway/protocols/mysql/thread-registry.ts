import { MysqlError } from "./handshake-messages";
import { Err } from "./protocol-constants";
import { quotedParts, splitMysql } from "../../../core/sql/mysql-lexer";

type Thread = {
  connectionId: string;
  identityId: string;
  targetThread: number;
  /** Withdraws the command this session holds for review, if any (true: there was one). */
  withdrawHeld: () => boolean;
  /** Kills the target thread (or its query) from another connection: what a KILL from another instance does. */
  killOnTarget: (query: boolean) => Promise<void>;
};

export type KillAnswer = { text: string } | { error: MysqlError } | { done: true };

const KILL = /^kill\s+(query\s+|connection\s+)?(\d+)$/i;

/**
 * The gateway's connection ids (what clients see in the greeting and send in `KILL QUERY <id>`,
 * as the mysql client does on Ctrl-C from a second connection) mapped to the target threads they
 * front. A KILL is rewritten to the target's thread id, and only for a session of the same
 * identity on the same connection: an id the gateway does not know is refused, since on the
 * target it would name some other client's thread. A `KILL QUERY` of a session whose statement
 * waits for review withdraws the review instead (nothing runs on the target yet).
 */
export class ThreadRegistry {
  private readonly threads = new Map<number, Thread>();

  /**
   * A new gateway connection id: random, so that ids are unique across gateway instances (a KILL
   * that reaches another instance names one session), and never one in use here.
   */
  newId(): number {
    for (;;) {
      const id = 1 + Math.floor(Math.random() * 0x7ffffffe);
      if (!this.threads.has(id)) return id;
    }
  }

  get(gatewayId: number): Thread | undefined {
    return this.threads.get(gatewayId);
  }

  add(gatewayId: number, t: Thread): () => void {
    this.threads.set(gatewayId, t);
    return () => this.threads.delete(gatewayId);
  }

  /**
   * A KILL rewritten for the target, answered, or (`elsewhere`) for an id this instance does not
   * hold, which another instance may (remote-kill.ts); null: not a KILL.
   */
  mapKill(text: string, who: { connectionId: string; identityId: string }, elsewhere?: (id: number, query: boolean) => Promise<KillAnswer>, prepared = false): KillAnswer | Promise<KillAnswer> | null {
    // KILL is a keyword: the server runs one only where its four letters stand together in the text, so
    // a text without them is no KILL, and every statement is spared a second lexing (about 2 µs each).
    if (!/kill/i.test(text)) return null;
    // Read as the server reads it: comments gone, executable comments opened (`kill /**/ 12`, `/*!kill 12*/`).
    const split = splitMysql(text);
    if (!split.ok) return null; // the judge refuses what it cannot split
    if (!split.statements.some((st) => runsKill(st.executable))) return null;
    const m = split.statements.length === 1 && !prepared ? KILL.exec(split.statements[0].executable.replace(/\s+/g, " ")) : null;
    // Any other KILL would reach the target with an id (or a user: KILL USER) of the target's own,
    // which names other clients' threads: every agent shares the connection's account there.
    if (!m)
      return {
        error: new MysqlError(
          Err.SpecificAccessDenied,
          "Gatehouse passes on KILL only as KILL [QUERY | CONNECTION] <id>, alone in its text, for one of your own sessions (its id from the gateway's greeting, the mysql client's \"Connection id\")",
        ),
      };
    const t = this.threads.get(Number(m[2]));
    if (!t && elsewhere) return elsewhere(Number(m[2]), /^query/i.test(m[1] ?? ""));
    if (!t || t.connectionId !== who.connectionId || t.identityId !== who.identityId) return { error: new MysqlError(Err.NoSuchThread, `Unknown thread id: ${m[2]}`) };
    if (/^query/i.test(m[1] ?? "") && t.withdrawHeld()) return { done: true };
    return { text: `KILL ${(m[1] ?? "").trim().toUpperCase()} ${t.targetThread}`.replace(/\s+/g, " ") };
  }
}

const DYNAMIC = /^(?:prepare\s+(?:``|\w+)\s+from|execute\s+immediate)\s+/i;

/**
 * Whether a statement (as the server runs it: comments gone) can run a KILL: it is one, a KILL
 * keyword stands in its code (a compound statement or a stored program's body: `BEGIN NOT ATOMIC
 * KILL 12; END`), or it PREPAREs or EXECUTEs IMMEDIATE a string that does (`PREPARE s FROM 'KILL 12'`).
 * KILL is a reserved word, so outside a string, a quoted name or a variable (`@kill`) it is the
 * statement. A text built at run time (`PREPARE s FROM @q`) is not seen here (under a policy it is
 * refused as unreadable).
 */
function runsKill(executable: string): boolean {
  if (!/kill/i.test(executable)) return false;
  const { code, strings } = quotedParts(executable);
  if (/(?<![\w$@.])kill(?![\w$])/i.test(code)) return true;
  if (!DYNAMIC.test(code)) return false;
  return strings.some((text) => {
    const inner = splitMysql(text);
    return inner.ok && inner.statements.some((st) => runsKill(st.executable));
  });
}
