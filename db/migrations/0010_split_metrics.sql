ALTER TABLE "metrics" ADD COLUMN "split_by" text;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "split_top_n" integer;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "parent_id" integer;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "series_dim" text;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "series_value" text;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "exclude" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_parent_id_metrics_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."metrics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "metrics_series_value_unique" ON "metrics" USING btree ("parent_id","series_dim","series_value") WHERE "metrics"."parent_id" is not null and "metrics"."series_value" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "metrics_series_other_unique" ON "metrics" USING btree ("parent_id","series_dim") WHERE "metrics"."parent_id" is not null and "metrics"."series_value" is null;