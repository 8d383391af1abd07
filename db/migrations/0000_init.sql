CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "anomalies" (
	"id" serial PRIMARY KEY NOT NULL,
	"metric_id" integer NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"severity" text NOT NULL,
	"direction" text NOT NULL,
	"first_window" timestamp with time zone NOT NULL,
	"last_window" timestamp with time zone NOT NULL,
	"peak_window" timestamp with time zone NOT NULL,
	"value" double precision NOT NULL,
	"expected" double precision NOT NULL,
	"sigma" double precision NOT NULL,
	"z" double precision NOT NULL,
	"explanation" jsonb NOT NULL,
	"sentence" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "injections" (
	"id" serial PRIMARY KEY NOT NULL,
	"scenario" text NOT NULL,
	"metric_key" text NOT NULL,
	"description" text NOT NULL,
	"root_cause" jsonb NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metric_points" (
	"metric_id" integer NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"value" double precision,
	"expected" double precision,
	"sigma" double precision,
	"z" double precision,
	"volume" double precision NOT NULL,
	"status" text NOT NULL,
	"anomaly_id" integer,
	CONSTRAINT "metric_points_metric_id_window_start_pk" PRIMARY KEY("metric_id","window_start")
);
--> statement-breakpoint
CREATE TABLE "metrics" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"event_type" text NOT NULL,
	"measure" text,
	"denominator_event_type" text,
	"unit" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"warn_z" double precision DEFAULT 3 NOT NULL,
	"critical_z" double precision DEFAULT 5 NOT NULL,
	"direction" text DEFAULT 'both' NOT NULL,
	"min_volume" integer DEFAULT 20 NOT NULL,
	"baseline_windows" integer DEFAULT 20 NOT NULL,
	"rule_updated_at" timestamp with time zone,
	"rule_updated_by" integer,
	CONSTRAINT "metrics_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "detector_progress" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"scored_through" timestamp with time zone,
	"window_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text NOT NULL,
	"raw" text NOT NULL,
	"raw_size" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rollups" (
	"window_start" timestamp with time zone NOT NULL,
	"event_type" text NOT NULL,
	"dim" text NOT NULL,
	"value" text NOT NULL,
	"measure" text NOT NULL,
	"count" bigint NOT NULL,
	"sum" double precision NOT NULL,
	"sumsq" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	CONSTRAINT "rollups_window_start_event_type_dim_value_measure_pk" PRIMARY KEY("window_start","event_type","dim","value","measure")
);
--> statement-breakpoint
CREATE TABLE "source_partitions" (
	"source" text NOT NULL,
	"partition" integer NOT NULL,
	"watermark" timestamp with time zone,
	"next_offset" bigint DEFAULT 0 NOT NULL,
	"received" bigint DEFAULT 0 NOT NULL,
	"folded" bigint DEFAULT 0 NOT NULL,
	"quarantined" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "source_partitions_source_partition_pk" PRIMARY KEY("source","partition")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_metric_id_metrics_id_fk" FOREIGN KEY ("metric_id") REFERENCES "public"."metrics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_points" ADD CONSTRAINT "metric_points_metric_id_metrics_id_fk" FOREIGN KEY ("metric_id") REFERENCES "public"."metrics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_rule_updated_by_users_id_fk" FOREIGN KEY ("rule_updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "anomalies_metric_idx" ON "anomalies" USING btree ("metric_id","last_window");--> statement-breakpoint
CREATE INDEX "anomalies_updated_idx" ON "anomalies" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "quarantine_reason_idx" ON "quarantine" USING btree ("reason","received_at");