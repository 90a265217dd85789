import { pgTable, text, uuid, primaryKey } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { identities } from "./identities";

export const groups = pgTable("groups", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  createdAt: createdAt(),
});

/** Which identities belong to which groups (OIDC identities also get the groups of their token). */
export const memberships = pgTable(
  "memberships",
  {
    identityId: uuid("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.identityId, t.groupId] })],
);
