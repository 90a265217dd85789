-- A statement's text is no longer indexed whole (its trigrams cost the database more per event than the rest of the event):
-- its shape (every digit run `0`) is, once per shape, and its digit runs per event. server/audit/text-term.ts searches both;
-- core/audit/statement-shape.ts computes what these functions do, for the rows the gateway stores (a test holds them equal).
CREATE TABLE "audit_statement_shapes" (
	"hash" bigint PRIMARY KEY NOT NULL,
	"shape" text NOT NULL
);
--> statement-breakpoint
CREATE FUNCTION audit_statement_shape(statement text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT regexp_replace(statement, '[0-9]+', '0', 'g') $$;--> statement-breakpoint
CREATE FUNCTION audit_statement_shape_hash(statement text) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT ('x' || left(encode(sha256(convert_to(regexp_replace(statement, '[0-9]+', '0', 'g'), 'UTF8')), 'hex'), 16))::bit(64)::bigint $$;--> statement-breakpoint
CREATE FUNCTION audit_statement_numbers(statement text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT nullif(btrim(regexp_replace(statement, '[^0-9]+', ' ', 'g')), '') $$;--> statement-breakpoint
-- Dropped before the rows are rewritten, which would otherwise each pay its trigrams again.
DROP INDEX "audit_events_statement_trgm_idx";--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "shape_hash" bigint;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "numbers" text;--> statement-breakpoint
UPDATE "audit_events" SET "shape_hash" = audit_statement_shape_hash("statement"), "numbers" = audit_statement_numbers("statement") WHERE "statement" IS NOT NULL;--> statement-breakpoint
INSERT INTO "audit_statement_shapes" ("hash", "shape") SELECT DISTINCT ON (audit_statement_shape_hash("statement")) audit_statement_shape_hash("statement"), audit_statement_shape("statement") FROM "audit_events" WHERE "statement" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
CREATE INDEX "audit_statement_shapes_trgm_idx" ON "audit_statement_shapes" USING gin ("shape" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "audit_events_unshaped_statement_trgm_idx" ON "audit_events" USING gin ("statement" gin_trgm_ops) WHERE "audit_events"."shape_hash" is null and "audit_events"."statement" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_shape_idx" ON "audit_events" USING btree ("shape_hash","id") WHERE "audit_events"."shape_hash" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_numbers_trgm_idx" ON "audit_events" USING gin ("numbers" gin_trgm_ops) WHERE "audit_events"."numbers" is not null;
