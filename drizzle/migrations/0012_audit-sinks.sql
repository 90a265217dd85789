CREATE TABLE "audit_sink_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"last_id" bigint NOT NULL,
	"delivered_at" timestamp with time zone,
	"backlog" bigint DEFAULT 0 NOT NULL,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
