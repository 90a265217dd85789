CREATE TABLE "gateway_instances" (
	"instance" text PRIMARY KEY NOT NULL,
	"token" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"proc_start" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
