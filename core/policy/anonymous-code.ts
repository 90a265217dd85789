import type { StatementClass } from "./classify-statement";

/** What code the gateway cannot see into (DO, CALL, a body it cannot read) counts as: it could do anything, so every strict class. */
export const ANONYMOUS: readonly StatementClass[] = ["anonymous-code", "write", "ddl", "privileges"];
