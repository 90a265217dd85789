DROP INDEX "audit_events_identity_idx";--> statement-breakpoint
CREATE INDEX "audit_events_identity_id_idx" ON "audit_events" USING btree ("identity_name","id");--> statement-breakpoint
CREATE INDEX "audit_events_connection_idx" ON "audit_events" USING btree ("connection_name","id");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action","id");