import "server-only";
import { eq, getTableColumns, sql } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { connections, connectors } from "../../drizzle/schema/index";
import type { SecretBox } from "../../core/crypto/secret-box";
import { AppError } from "../errors/app-error";

/** The stored row, secret still sealed, with the name of the connector it is reached through. Only for the server: never return it from a procedure. */
export async function getConnectionRow(db: Db, id: string) {
  const [row] = await db
    .select({ ...getTableColumns(connections), connector: sql<string | null>`(select k.name from ${connectors} k where k.id = "connections"."connector_id")` })
    .from(connections)
    .where(eq(connections.id, id));
  if (!row) throw new AppError("NOT_FOUND", "no such connection (it may have been deleted)");
  return row;
}

export function openSecret(box: SecretBox, secretEnc: string | null): Record<string, string> | null {
  return secretEnc ? (JSON.parse(box.open(secretEnc)) as Record<string, string>) : null;
}

/**
 * What the edit form needs: the settings, and only the names of the secret fields that hold a
 * value (so it can say "a password is stored"), never the values.
 */
export async function getConnection(db: Db, box: SecretBox, id: string) {
  return editView(box, await getConnectionRow(db, id));
}

export function editView(box: SecretBox, row: Awaited<ReturnType<typeof getConnectionRow>>) {
  const { secretEnc, ...rest } = row;
  let storedSecrets: string[] = [];
  try {
    storedSecrets = Object.keys(openSecret(box, secretEnc) ?? {});
  } catch {
    // Sealed with another key (GATEHOUSE_SECRET_KEY changed): say something is stored; a new value replaces it.
    storedSecrets = ["password"];
  }
  return { ...rest, storedSecrets };
}
