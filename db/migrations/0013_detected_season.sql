ALTER TABLE "metrics" ALTER COLUMN "baseline" SET DEFAULT 'auto';--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "detected_season" text;--> statement-breakpoint
ALTER TABLE "metrics" ADD COLUMN "season_checked_at" timestamp with time zone;