import { pgTable, text, uuid, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

/** People and agents. `source` says where the identity was first seen (local CLI/console or an OIDC issuer). */
export const identities = pgTable("identities", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  kind: text("kind", { enum: ["agent", "person"] })
    .notNull()
    .default("agent"),
  source: text("source", { enum: ["local", "oidc"] })
    .notNull()
    .default("local"),
  email: text("email"),
  createdAt: createdAt(),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
});
