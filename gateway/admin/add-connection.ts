import type { Db } from "../../drizzle/client";
import { connections } from "../../drizzle/schema/index";
import type { SecretBox } from "../crypto/secret-box";

export type PostgresConnectionInput = { name: string; url: string; sslmode?: string };

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const SSLMODES = ["disable", "prefer", "require", "verify-full"];

/** Splits a postgres:// URL into stored settings and the secret part (the password), which is sealed. */
export function parsePostgresUrl(url: string, sslmode?: string) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("the URL is not valid: expected postgres://user:password@host:port/database");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new Error("the URL must start with postgres://");
  const mode = sslmode ?? u.searchParams.get("sslmode") ?? "prefer";
  if (!SSLMODES.includes(mode)) throw new Error(`sslmode must be one of ${SSLMODES.join(", ")}`);
  const host = u.searchParams.get("host") ?? (decodeURIComponent(u.hostname) || "127.0.0.1");
  return {
    settings: { host, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)) || "postgres", user: decodeURIComponent(u.username) || "postgres", sslmode: mode },
    secret: u.password ? { password: decodeURIComponent(u.password) } : {},
  };
}

export async function addPostgresConnection(db: Db, box: SecretBox, input: PostgresConnectionInput) {
  if (!NAME.test(input.name)) throw new Error("a connection name is 1-63 letters, digits, '.', '_' or '-', and is what clients give as the database name");
  const { settings, secret } = parsePostgresUrl(input.url, input.sslmode);
  const [row] = await db
    .insert(connections)
    .values({ name: input.name, type: "postgres", settings, secretEnc: Object.keys(secret).length ? box.seal(JSON.stringify(secret)) : null })
    .onConflictDoNothing()
    .returning({ id: connections.id });
  if (!row) throw new Error(`a connection named "${input.name}" already exists`);
  return { id: row.id, name: input.name, type: "postgres" as const, settings };
}
