import { pgTable, text, uuid, timestamp, index } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { identities } from "./identities";

/** Gatehouse keys. Only a SHA-256 of the key is stored; `prefix` lets people tell keys apart. */
export const keys = pgTable(
  "keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    identityId: uuid("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    /** Where the key was last used from: the client's address and the protocol (postgres, ssh, http...). */
    lastUsedAddr: text("last_used_addr"),
    lastUsedProtocol: text("last_used_protocol"),
  },
  (t) => [index("keys_identity_idx").on(t.identityId)],
);
