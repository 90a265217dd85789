import type { ClientCharset } from "../../../core/sql/mysql-charsets";
import type { HeldCommand } from "../../pipeline/hold";
import { MysqlError } from "./handshake-messages";
import { decideHeld } from "./held-statement";
import { Err } from "./protocol-constants";
import type { RelayHooks } from "./relay-hooks";

const AMBIGUOUS_TEXT =
  "Gatehouse refused this text: in this session's character set (big5, gbk, sjis, cp932 or gb18030, or one Gatehouse could not tell) a multi-byte character in it ends in a backslash or backtick byte, so the server could read the statement otherwise than Gatehouse judges it. Connect with utf8mb4";

/** What becomes of a SQL text: it runs (`approval`: an approver's, for the audit), or it is refused with this error (`kind` for the audit). */
export type TextVerdict = { run: true; approval?: string } | { run: false; error: MysqlError; kind: string };

/**
 * The checks a COM_QUERY or COM_STMT_PREPARE text passes before the target sees it, in order: read
 * as the server reads it (`charset`; `payload` from byte 1 is its SQL), no masked value written back
 * and no masked column copied out of sight, then the connection's policy, which may hold it for
 * review (`track` gets the hold while it waits). Null when the session ended meanwhile.
 */
export async function textVerdict(
  hooks: RelayHooks,
  charset: ClientCharset | null,
  payload: Buffer,
  text: string,
  track: (held: HeldCommand | null) => void,
  ended: () => boolean,
): Promise<TextVerdict | null> {
  if (charset?.ambiguous(payload, 1, text) && (hooks.guard.active() || hooks.masking())) {
    return { run: false, error: new MysqlError(Err.ParseError, AMBIGUOUS_TEXT), kind: "UNPARSEABLE" };
  }
  let maskedWrite = hooks.maskedWrite(text);
  if (maskedWrite instanceof Promise) {
    maskedWrite = await maskedWrite;
    if (ended()) return null;
  }
  if (maskedWrite) return { run: false, error: maskedWrite.refusal, kind: maskedWrite.kind };
  const judgement = hooks.guard.judge(text);
  if (judgement && "refusal" in judgement) return { run: false, error: judgement.refusal, kind: judgement.kind };
  if (!judgement) return { run: true };
  const held = await decideHeld(hooks, judgement.review, text, track);
  if (ended()) return null;
  return held.run ? { run: true, approval: held.approval } : { run: false, error: held.error, kind: judgement.review.command.kind };
}
