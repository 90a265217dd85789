ALTER TABLE "audit_events" ADD COLUMN "instance" text;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "seq" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_instance_seq_idx" ON "audit_events" USING btree ("instance","seq");