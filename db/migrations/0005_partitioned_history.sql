-- Retention (issue 12): rollups, leaf_rollups, metric_points and quarantine become tables
-- partitioned by RANGE on their time column (window_start; received_at), one partition per UTC
-- day named <table>_pYYYYMMDD, plus a DEFAULT partition so an insert never fails for want of a
-- partition. Hand-written (drizzle-kit does not model partitions; its snapshot only records
-- quarantine's new primary key). Existing rows are copied into day partitions covering the days
-- they hold, nothing else is created here: the worker creates days ahead and drops expired ones
-- (db/queries/retention.ts). Keys, indexes and foreign keys keep their names; quarantine's
-- primary key must hold the partition key, so it becomes (id, received_at), and its id sequence
-- carries on where it was.
ALTER TABLE "rollups" RENAME TO "rollups_unpartitioned";--> statement-breakpoint
ALTER TABLE "rollups_unpartitioned" RENAME CONSTRAINT "rollups_window_start_event_type_dim_value_measure_pk" TO "rollups_unpartitioned_pk";--> statement-breakpoint
ALTER TABLE "leaf_rollups" RENAME TO "leaf_rollups_unpartitioned";--> statement-breakpoint
ALTER TABLE "leaf_rollups_unpartitioned" RENAME CONSTRAINT "leaf_rollups_window_start_event_type_leaf_measure_pk" TO "leaf_rollups_unpartitioned_pk";--> statement-breakpoint
ALTER TABLE "metric_points" RENAME TO "metric_points_unpartitioned";--> statement-breakpoint
ALTER TABLE "metric_points_unpartitioned" RENAME CONSTRAINT "metric_points_metric_id_window_start_pk" TO "metric_points_unpartitioned_pk";--> statement-breakpoint
ALTER TABLE "quarantine" RENAME TO "quarantine_unpartitioned";--> statement-breakpoint
ALTER TABLE "quarantine_unpartitioned" RENAME CONSTRAINT "quarantine_pkey" TO "quarantine_unpartitioned_pk";--> statement-breakpoint
ALTER INDEX "quarantine_reason_idx" RENAME TO "quarantine_unpartitioned_reason_idx";--> statement-breakpoint
-- The sequence would go with the old table: detach it, and give it to the new one below.
ALTER SEQUENCE "quarantine_id_seq" OWNED BY NONE;--> statement-breakpoint
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
	"max" double precision NOT NULL
) PARTITION BY RANGE ("window_start");--> statement-breakpoint
CREATE TABLE "leaf_rollups" (
	"window_start" timestamp with time zone NOT NULL,
	"event_type" text NOT NULL,
	"leaf" text NOT NULL,
	"measure" text NOT NULL,
	"count" bigint NOT NULL,
	"sum" double precision NOT NULL,
	"sumsq" double precision NOT NULL
) PARTITION BY RANGE ("window_start");--> statement-breakpoint
CREATE TABLE "metric_points" (
	"metric_id" integer NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"value" double precision,
	"expected" double precision,
	"sigma" double precision,
	"z" double precision,
	"volume" double precision NOT NULL,
	"status" text NOT NULL,
	"anomaly_id" integer
) PARTITION BY RANGE ("window_start");--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" bigint DEFAULT nextval('quarantine_id_seq'::regclass) NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text NOT NULL,
	"raw" text NOT NULL,
	"raw_size" integer NOT NULL,
	"partition" integer,
	"source_offset" bigint,
	"reingested_at" timestamp with time zone,
	"reingested_by" integer
) PARTITION BY RANGE ("received_at");--> statement-breakpoint
CREATE TABLE "rollups_default" PARTITION OF "rollups" DEFAULT;--> statement-breakpoint
CREATE TABLE "leaf_rollups_default" PARTITION OF "leaf_rollups" DEFAULT;--> statement-breakpoint
CREATE TABLE "metric_points_default" PARTITION OF "metric_points" DEFAULT;--> statement-breakpoint
CREATE TABLE "quarantine_default" PARTITION OF "quarantine" DEFAULT;--> statement-breakpoint
-- One partition per UTC day the old table holds rows for, then the rows, then the old table.
-- Keys and indexes come after the copy: building them once is faster than row by row.
DO $$
DECLARE
	t record;
	day timestamptz;
	columns text;
BEGIN
	FOR t IN
		SELECT * FROM (VALUES
			('rollups', 'window_start'),
			('leaf_rollups', 'window_start'),
			('metric_points', 'window_start'),
			('quarantine', 'received_at')
		) AS v(name, col)
	LOOP
		FOR day IN EXECUTE format(
			'SELECT DISTINCT date_trunc(''day'', %I AT TIME ZONE ''UTC'') AT TIME ZONE ''UTC'' FROM %I',
			t.col, t.name || '_unpartitioned')
		LOOP
			-- '24 hours', not '1 day': a day of the session's time zone may have 23 or 25.
			EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
				t.name || '_p' || to_char(day AT TIME ZONE 'UTC', 'YYYYMMDD'), t.name,
				day, day + interval '24 hours');
		END LOOP;
		SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
			FROM pg_attribute
			WHERE attrelid = t.name::regclass AND attnum > 0 AND NOT attisdropped;
		EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM %I',
			t.name, columns, columns, t.name || '_unpartitioned');
		EXECUTE format('DROP TABLE %I', t.name || '_unpartitioned');
	END LOOP;
END
$$;--> statement-breakpoint
ALTER TABLE "rollups" ADD CONSTRAINT "rollups_window_start_event_type_dim_value_measure_pk" PRIMARY KEY("window_start","event_type","dim","value","measure");--> statement-breakpoint
ALTER TABLE "leaf_rollups" ADD CONSTRAINT "leaf_rollups_window_start_event_type_leaf_measure_pk" PRIMARY KEY("window_start","event_type","leaf","measure");--> statement-breakpoint
ALTER TABLE "metric_points" ADD CONSTRAINT "metric_points_metric_id_window_start_pk" PRIMARY KEY("metric_id","window_start");--> statement-breakpoint
ALTER TABLE "metric_points" ADD CONSTRAINT "metric_points_metric_id_metrics_id_fk" FOREIGN KEY ("metric_id") REFERENCES "public"."metrics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_id_received_at_pk" PRIMARY KEY("id","received_at");--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_reingested_by_users_id_fk" FOREIGN KEY ("reingested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "quarantine_reason_idx" ON "quarantine" USING btree ("reason","received_at");--> statement-breakpoint
ALTER SEQUENCE "quarantine_id_seq" OWNED BY "quarantine"."id";
