CREATE TABLE "mcp_tool_pins" (
	"connection_id" uuid NOT NULL,
	"tool_name" text NOT NULL,
	"seen_hash" text NOT NULL,
	"seen_definition" jsonb NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"approved_hash" text,
	"approved_definition" jsonb,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	CONSTRAINT "mcp_tool_pins_connection_id_tool_name_pk" PRIMARY KEY("connection_id","tool_name")
);
--> statement-breakpoint
ALTER TABLE "mcp_tool_pins" ADD CONSTRAINT "mcp_tool_pins_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;