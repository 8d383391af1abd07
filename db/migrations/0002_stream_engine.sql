CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by" integer,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "scoring_queue" (
	"window_start" timestamp with time zone PRIMARY KEY NOT NULL,
	"revision" boolean NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"enqueued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worker_metrics" (
	"worker" text PRIMARY KEY NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"metrics" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "revisions" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "revised_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "quarantine" ADD COLUMN "partition" integer;--> statement-breakpoint
ALTER TABLE "quarantine" ADD COLUMN "source_offset" bigint;--> statement-breakpoint
ALTER TABLE "quarantine" ADD COLUMN "reingested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "quarantine" ADD COLUMN "reingested_by" integer;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_revoked_by_users_id_fk" FOREIGN KEY ("revoked_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_reingested_by_users_id_fk" FOREIGN KEY ("reingested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;