import { pgTable, text, uuid, timestamp, boolean, integer, primaryKey, index } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { consoleUsers } from "./console-users";

/** Bearer tokens an IdP's SCIM client presents. Only a SHA-256 of the token is stored, as for keys. */
export const scimTokens = pgTable("scim_tokens", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  prefix: text("prefix").notNull(),
  hash: text("hash").notNull().unique(),
  createdAt: createdAt(),
  createdBy: text("created_by"),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
});

/**
 * People provisioned by the IdP over SCIM. `userName` (lower-cased for matching) ties the resource
 * to the console account (by e-mail) and the gateway identities of the person. A deleted user keeps
 * its row (inactive, `deletedAt` set) so the gateway still refuses the person's OIDC tokens.
 */
export const scimUsers = pgTable(
  "scim_users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userName: text("user_name").notNull().unique(),
    email: text("email"),
    externalId: text("external_id"),
    displayName: text("display_name"),
    givenName: text("given_name"),
    familyName: text("family_name"),
    active: boolean("active").notNull().default(true),
    consoleUserId: uuid("console_user_id").references(() => consoleUsers.id, { onDelete: "set null" }),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [index("scim_users_email_idx").on(t.email)],
);

export const scimGroups = pgTable("scim_groups", {
  id: uuid("id").primaryKey().defaultRandom(),
  displayName: text("display_name").notNull().unique(),
  externalId: text("external_id"),
  version: integer("version").notNull().default(1),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const scimGroupMembers = pgTable(
  "scim_group_members",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => scimGroups.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => scimUsers.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("scim_group_members_user_idx").on(t.userId)],
);
