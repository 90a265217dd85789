CREATE TABLE "terminal_tickets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ticket_hash" text NOT NULL,
	"credential_hash" text,
	"identity_id" uuid NOT NULL,
	"groups" text[] NOT NULL,
	"connection_name" text NOT NULL,
	"console_user" text NOT NULL,
	"cols" integer DEFAULT 120 NOT NULL,
	"rows" integer DEFAULT 32 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"opened_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	CONSTRAINT "terminal_tickets_ticket_hash_unique" UNIQUE("ticket_hash"),
	CONSTRAINT "terminal_tickets_credential_hash_unique" UNIQUE("credential_hash")
);
--> statement-breakpoint
ALTER TABLE "terminal_tickets" ADD CONSTRAINT "terminal_tickets_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "public"."identities"("id") ON DELETE cascade ON UPDATE no action;