CREATE TABLE "anomaly_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"anomaly_id" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_id" integer,
	"action" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leaf_rollups" (
	"window_start" timestamp with time zone NOT NULL,
	"event_type" text NOT NULL,
	"leaf" text NOT NULL,
	"measure" text NOT NULL,
	"count" bigint NOT NULL,
	"sum" double precision NOT NULL,
	"sumsq" double precision NOT NULL,
	CONSTRAINT "leaf_rollups_window_start_event_type_leaf_measure_pk" PRIMARY KEY("window_start","event_type","leaf","measure")
);
--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "normal_windows" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "acknowledged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "acknowledged_by" integer;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "snoozed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "resolved_by" integer;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "resolved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "verdict" text;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "verdict_by" integer;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "verdict_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "extra_event_types" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "filters" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "window_multiple" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "definition_updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "definition_updated_by" integer;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "baseline" text DEFAULT 'rolling' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "season" text DEFAULT 'day' NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "sigma_floor" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "consecutive_windows" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "resolve_after" integer DEFAULT 2 NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "rescore_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "anomaly_events" ADD CONSTRAINT "anomaly_events_anomaly_id_anomalies_id_fk" FOREIGN KEY ("anomaly_id") REFERENCES "public"."anomalies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_events" ADD CONSTRAINT "anomaly_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "anomaly_events_anomaly_idx" ON "anomaly_events" USING btree ("anomaly_id","at");--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_acknowledged_by_users_id_fk" FOREIGN KEY ("acknowledged_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_verdict_by_users_id_fk" FOREIGN KEY ("verdict_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_definition_updated_by_users_id_fk" FOREIGN KEY ("definition_updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;