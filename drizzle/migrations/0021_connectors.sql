CREATE TABLE "connector_links" (
	"id" uuid NOT NULL,
	"instance" text NOT NULL,
	"connector_id" uuid NOT NULL,
	"token_id" uuid,
	"version" text NOT NULL,
	"hostname" text NOT NULL,
	"remote_addr" text,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disconnected_at" timestamp with time zone,
	"streams_total" integer DEFAULT 0 NOT NULL,
	"streams_open" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "connector_links_id_instance_pk" PRIMARY KEY("id","instance")
);
--> statement-breakpoint
CREATE TABLE "connector_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connector_id" uuid NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "connector_tokens_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "connectors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	CONSTRAINT "connectors_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "connector_id" uuid;--> statement-breakpoint
ALTER TABLE "connector_links" ADD CONSTRAINT "connector_links_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connector_tokens" ADD CONSTRAINT "connector_tokens_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connector_links_connector_idx" ON "connector_links" USING btree ("connector_id","last_seen_at");--> statement-breakpoint
CREATE INDEX "connector_tokens_connector_idx" ON "connector_tokens" USING btree ("connector_id");--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE restrict ON UPDATE no action;