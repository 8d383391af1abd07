ALTER TABLE "metrics" ALTER COLUMN "baseline_windows" SET DEFAULT 30;--> statement-breakpoint
ALTER TABLE "metrics" ALTER COLUMN "baseline" SET DEFAULT 'robust';--> statement-breakpoint
ALTER TABLE "metrics" ALTER COLUMN "consecutive_windows" SET DEFAULT 2;