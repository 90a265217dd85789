CREATE TABLE "reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"session_id" uuid,
	"connection_name" text NOT NULL,
	"protocol" text NOT NULL,
	"identity_name" text NOT NULL,
	"groups" text[] NOT NULL,
	"client_addr" text,
	"statement" text NOT NULL,
	"summary" jsonb NOT NULL,
	"rule_name" text,
	"reason" text NOT NULL,
	"approver_groups" text[] NOT NULL,
	"required_approvals" integer DEFAULT 1 NOT NULL,
	"approvals" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"blast_radius" jsonb,
	"decided_by" text,
	"decision_reason" text,
	"gateway_instance" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "console_users" ADD COLUMN "groups" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "reviews_status_created_idx" ON "reviews" USING btree ("status","created_at");