import { pgTable, text, timestamp, primaryKey, index } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";

/**
 * SAML message IDs the console must remember, in the shared database so that every console
 * instance and a restarted one agree: `request` rows are the AuthnRequests it sent (a response's
 * InResponseTo must name one, once), `assertion` rows the assertions it accepted (refused if seen
 * again), `ticket` rows the one-time sign-in tickets the ACS route handed to next-auth. Each is kept
 * until `expiresAt` (an assertion's NotOnOrAfter plus the clock skew), then swept.
 */
export const samlMessageIds = pgTable(
  "saml_message_ids",
  {
    kind: text("kind", { enum: ["request", "assertion", "ticket"] }).notNull(),
    id: text("id").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.id] }), index("saml_message_ids_expires_at_idx").on(t.expiresAt)],
);
