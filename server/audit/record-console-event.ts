import "server-only";
import type { Db } from "../../drizzle/client";
import { checkpointKey } from "../../core/audit/audit-chain";
import { secretKey } from "../secret-key";
import { appendConsoleEvent, type ConsoleEvent } from "./append-console-event";

export type { ConsoleEvent };

/**
 * Every change made in the console (and every sign-in) is itself an audit event: who, what, before
 * and after, chained in the console's stream (`gatehouse:console`, see core/audit/chained-append.ts).
 */
export async function recordConsoleEvent(db: Db, e: ConsoleEvent): Promise<void> {
  await appendConsoleEvent(db, checkpointKey(secretKey()), e);
}
