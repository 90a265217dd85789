import type { ClientCharset } from "../../../core/sql/mysql-charsets";
import { quotingAmbiguous } from "../../../core/sql/mysql-lexer";
import type { HeldCommand } from "../../pipeline/hold";
import { MysqlError } from "./handshake-messages";
import { decideHeld } from "./held-statement";
import { Err } from "./protocol-constants";
import type { RelayHooks } from "./relay-hooks";

const AMBIGUOUS_TEXT =
  "Gatehouse refused this text: in this session's character set (big5, gbk, sjis, cp932 or gb18030, or one Gatehouse could not tell) a multi-byte character in it ends in a backslash or backtick byte, so the server could read the statement otherwise than Gatehouse judges it. Connect with utf8mb4";
const AMBIGUOUS_QUOTING =
  "Gatehouse refused this text: it splits into other statements under sql_mode NO_BACKSLASH_ESCAPES or ANSI_QUOTES (this session's, or one it sets) than with backslash escapes, so what it runs cannot be told for sure. Write a quote inside a string doubled ('') rather than after a backslash, and send SET sql_mode in a text of its own";

/**
 * Whether the server may read a COM_QUERY or COM_STMT_PREPARE text (`payload` from byte 1 is its SQL)
 * otherwise than the gateway, which reads it as UTF-8 with backslash escapes: the refusal, or null.
 * Checked where it matters: under a policy or masking, and always for a text that mentions KILL
 * (judged without a policy: a hidden KILL of another agent's thread would pass unmapped).
 */
export function readsOtherwise(hooks: RelayHooks, charset: ClientCharset, noBackslashEscapes: boolean, payload: Buffer, text: string): MysqlError | null {
  if (!hooks.guard.active() && !hooks.masking() && !/kill/i.test(text)) return null;
  if (charset.ambiguous(payload, 1, text)) return new MysqlError(Err.ParseError, AMBIGUOUS_TEXT);
  if (quotingAmbiguous(text, noBackslashEscapes)) return new MysqlError(Err.ParseError, AMBIGUOUS_QUOTING);
  return null;
}

/** What becomes of a SQL text: it runs (`approval`: an approver's, for the audit), or it is refused with this error (`kind` for the audit). */
export type TextVerdict = { run: true; approval?: string } | { run: false; error: MysqlError; kind: string };

/**
 * The checks a COM_QUERY or COM_STMT_PREPARE text passes before the target sees it, once it is known
 * to be read as the server reads it (readsOtherwise): no masked value written back and no masked
 * column copied out of sight, then the connection's policy (with what the stored functions it calls
 * run), which may hold it for review (`track` gets the hold while it waits). Null when the session
 * ended meanwhile.
 */
export async function textVerdict(hooks: RelayHooks, text: string, track: (held: HeldCommand | null) => void, ended: () => boolean): Promise<TextVerdict | null> {
  let maskedWrite = hooks.maskedWrite(text);
  if (maskedWrite instanceof Promise) {
    maskedWrite = await maskedWrite;
    if (ended()) return null;
  }
  if (maskedWrite) return { run: false, error: maskedWrite.refusal, kind: maskedWrite.kind };
  // A text that calls a stored function is judged with what its body runs: the target's routines are read first.
  const routines = hooks.guard.routinesReady(text);
  if (routines) {
    await routines;
    if (ended()) return null;
  }
  const judgement = hooks.guard.judge(text);
  if (judgement && "refusal" in judgement) return { run: false, error: judgement.refusal, kind: judgement.kind };
  if (!judgement) return { run: true };
  const held = await decideHeld(hooks, judgement.review, text, track);
  if (ended()) return null;
  return held.run ? { run: true, approval: held.approval } : { run: false, error: held.error, kind: judgement.review.command.kind };
}
