import { pgTable, text, timestamp, bigint, bigserial, index } from "drizzle-orm/pg-core";

/**
 * Signed points of a gateway instance's audit chain (core/audit/audit-chain.ts): `chain` says the
 * event numbered `seq` of `instance` had `hash`; `retention` says the events up to `seq` were
 * deleted on purpose, and the chain goes on from `hash`. The MAC is an HMAC keyed from the secret key.
 */
export const auditCheckpoints = pgTable(
  "audit_checkpoints",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    instance: text("instance").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
    kind: text("kind", { enum: ["chain", "retention"] }).notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    mac: text("mac").notNull(),
  },
  (t) => [index("audit_checkpoints_instance_idx").on(t.instance, t.seq)],
);
