ALTER TABLE "source_partitions" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "source_partitions" ADD COLUMN "generation" bigint DEFAULT 0 NOT NULL;