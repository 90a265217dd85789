CREATE TABLE "recording_chunks" (
	"session_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" text NOT NULL,
	"until_ms" integer NOT NULL,
	CONSTRAINT "recording_chunks_session_id_seq_pk" PRIMARY KEY("session_id","seq")
);
--> statement-breakpoint
CREATE TABLE "recordings" (
	"session_id" uuid PRIMARY KEY NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"title" text,
	"env" jsonb,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "recording_chunks" ADD CONSTRAINT "recording_chunks_session_id_recordings_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."recordings"("session_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;