import { pgTable, text, uuid, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { identities } from "./identities";

/** SSH public keys a person or agent registered: the SSH listener accepts them in place of a token. */
export const sshPublicKeys = pgTable("ssh_public_keys", {
  id: uuid("id").primaryKey().defaultRandom(),
  identityId: uuid("identity_id")
    .notNull()
    .references(() => identities.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  /** `SHA256:...` of the key blob, as `ssh-keygen -lf` prints it. */
  fingerprint: text("fingerprint").notNull().unique(),
  /** The OpenSSH public key line (`ssh-ed25519 AAAA... comment`). */
  publicKey: text("public_key").notNull(),
  createdAt: createdAt(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
});
