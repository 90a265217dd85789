import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";

/** A connection's id by its name, or undefined when there is none. */
export async function findConnectionId(db: Db, name: string): Promise<string | undefined> {
  const [row] = await db.select({ id: connections.id }).from(connections).where(eq(connections.name, name));
  return row?.id;
}

/** A connection's id by its name; throws when there is none. */
export async function connectionId(db: Db, name: string): Promise<string> {
  const id = await findConnectionId(db, name);
  if (id === undefined) throw new Error(`no connection named "${name}"`);
  return id;
}
