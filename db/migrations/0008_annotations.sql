CREATE TABLE "annotations" (
	"id" serial PRIMARY KEY NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"title" text NOT NULL,
	"text" text DEFAULT '' NOT NULL,
	"metric_keys" text[] DEFAULT '{}'::text[] NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_by" integer,
	"api_key_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "annotations_span_check" CHECK ("annotations"."ends_at" is null or ("annotations"."ends_at" >= "annotations"."starts_at" and "annotations"."ends_at" - "annotations"."starts_at" <= interval '30 days')),
	CONSTRAINT "annotations_one_author_check" CHECK (num_nonnulls("annotations"."created_by", "annotations"."api_key_id") <= 1)
);
--> statement-breakpoint
ALTER TABLE "annotations" ADD CONSTRAINT "annotations_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "annotations" ADD CONSTRAINT "annotations_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "annotations_starts_idx" ON "annotations" USING btree ("starts_at");