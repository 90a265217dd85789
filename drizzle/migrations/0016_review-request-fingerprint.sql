ALTER TABLE "reviews" ADD COLUMN "request_fingerprint" text;--> statement-breakpoint
ALTER TABLE "reviews" ADD COLUMN "consumed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "reviews_request_fingerprint_idx" ON "reviews" USING btree ("request_fingerprint");