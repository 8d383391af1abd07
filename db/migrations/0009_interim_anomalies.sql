ALTER TABLE "anomalies" ADD COLUMN "interim" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "anomalies" ADD COLUMN "confirmed_at" timestamp with time zone;