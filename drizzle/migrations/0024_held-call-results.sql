CREATE TABLE "held_call_results" (
	"review_id" uuid PRIMARY KEY NOT NULL,
	"identity_name" text NOT NULL,
	"gateway_instance" text NOT NULL,
	"tool" text NOT NULL,
	"connection_name" text NOT NULL,
	"outcome" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "held_call_results_expires_idx" ON "held_call_results" USING btree ("expires_at");