import { pgTable, text, uuid, timestamp } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { createdAt } from "./columns";
import { identities } from "./identities";

export const CONSOLE_ROLES = ["admin", "approver", "auditor", "member"] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/**
 * People who sign in to the console. A local account has a scrypt `passwordHash`; an account first
 * seen through single sign-on (OIDC or SAML) has none. `identityId` ties the person to the gateway identity they
 * use in the data path (browser terminal, their own tokens).
 */
export const consoleUsers = pgTable("console_users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name"),
  role: text("role", { enum: CONSOLE_ROLES }).notNull().default("member"),
  source: text("source", { enum: ["local", "oidc", "saml", "scim"] })
    .notNull()
    .default("local"),
  passwordHash: text("password_hash"),
  identityId: uuid("identity_id").references(() => identities.id, { onDelete: "set null" }),
  /** Groups the person belongs to (from the IdP at each sign-in, or set by an admin): who may approve what. */
  groups: text("groups")
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  createdAt: createdAt(),
  lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
});
