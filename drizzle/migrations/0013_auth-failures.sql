CREATE TABLE "auth_failures" (
	"scope" text NOT NULL,
	"subject" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "auth_failures_scope_subject_window_start_pk" PRIMARY KEY("scope","subject","window_start")
);
