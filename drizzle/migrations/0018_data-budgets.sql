CREATE TABLE "data_budget_usage" (
	"budget_id" uuid NOT NULL,
	"identity_name" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"rows" bigint DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"extra_rows" bigint DEFAULT 0 NOT NULL,
	"extra_bytes" bigint DEFAULT 0 NOT NULL,
	"exceeded_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "data_budget_usage_budget_id_identity_name_window_start_pk" PRIMARY KEY("budget_id","identity_name","window_start")
);
--> statement-breakpoint
CREATE TABLE "data_budgets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"subject_kind" text NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"connection" text DEFAULT '*' NOT NULL,
	"max_rows" bigint,
	"max_bytes" bigint,
	"window_seconds" integer NOT NULL,
	"on_exceed" text NOT NULL,
	"warn_percent" integer DEFAULT 80 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "data_budgets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "data_budget_usage" ADD CONSTRAINT "data_budget_usage_budget_id_data_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."data_budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "data_budget_usage_window_idx" ON "data_budget_usage" USING btree ("window_start");