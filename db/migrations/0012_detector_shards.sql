-- Detection sharded across workers: a window is queued once per shard (workers/services/detector.ts).
ALTER TABLE "detector_progress" ADD COLUMN "shards" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "scoring_queue" ADD COLUMN "shard" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "scoring_queue" DROP CONSTRAINT "scoring_queue_pkey";--> statement-breakpoint
ALTER TABLE "scoring_queue" ADD CONSTRAINT "scoring_queue_window_start_shard_pk" PRIMARY KEY("window_start","shard");
