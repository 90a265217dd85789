-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it; the embedded database loads PGlite's build.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "audit_events_statement_trgm_idx" ON "audit_events" USING gin ("statement" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "audit_events_message_trgm_idx" ON "audit_events" USING gin ("message" gin_trgm_ops);