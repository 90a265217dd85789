import { eq } from "drizzle-orm";
import type { Db } from "../../../drizzle/client";
import { connections } from "../../../drizzle/schema/index";
import type { RunResult } from "../../support/run-program";
import type { StackInfo } from "./console-stack";
import { openStackDb } from "./seed-recording";

/**
 * A Postgres connection `name` to the stack's target, granted to `group`, with a document written
 * straight to the state database by `store`, as an earlier release that accepted it stored it (the
 * CLI and the console refuse it now). Returns a key for `identity` in `group`.
 */
export async function connectionStoredByEarlierRelease(
  cli: (...args: string[]) => Promise<RunResult>,
  stack: StackInfo,
  opts: { name: string; group: string; identity: string; store: (db: Db, connectionId: string) => Promise<unknown> },
): Promise<string> {
  await cli("connections", "add", opts.name, "--type", "postgres", "--url", stack.targetUrl);
  await cli("grant", opts.group, opts.name);
  const key = (await cli("keys", "issue", opts.identity, "--groups", opts.group)).stdout.trim();
  const handle = openStackDb(stack.env.DATABASE_URL);
  try {
    const [c] = await handle.db.select({ id: connections.id }).from(connections).where(eq(connections.name, opts.name));
    await opts.store(handle.db, c.id);
  } finally {
    await handle.close();
  }
  return key;
}
