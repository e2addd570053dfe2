CREATE TABLE "herald"."activity_totals" (
	"channel" text DEFAULT '' NOT NULL,
	"subscription" text DEFAULT '' NOT NULL,
	"published" bigint DEFAULT 0 NOT NULL,
	"succeeded" bigint DEFAULT 0 NOT NULL,
	"failed" bigint DEFAULT 0 NOT NULL,
	"dead" bigint DEFAULT 0 NOT NULL,
	"duration_sum_ms" bigint DEFAULT 0 NOT NULL,
	"duration_buckets" bigint[] DEFAULT '{}' NOT NULL,
	CONSTRAINT "activity_totals_channel_subscription_pk" PRIMARY KEY("channel","subscription")
);
--> statement-breakpoint
ALTER TABLE "herald"."activity" ADD COLUMN "duration_sum_ms" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "herald"."activity" ADD COLUMN "duration_buckets" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "herald"."maintenance_state" ADD COLUMN "final_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "herald"."workers" ADD COLUMN "listener_reconnects" integer DEFAULT 0 NOT NULL;--> statement-breakpoint

-- Upper bounds (ms) of the attempt-duration histogram's buckets; one more bucket holds the rest.
CREATE FUNCTION herald.duration_buckets_ms() RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY[5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]::float8[]
$$;
--> statement-breakpoint

-- Counts per bucket (not cumulative): element i+1 counts values in [bound i, bound i+1).
CREATE FUNCTION herald.histogram(p_values float8[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(coalesce(c.n, 0)::integer ORDER BY i)
  FROM generate_series(0, array_length(herald.duration_buckets_ms(), 1)) AS i
  LEFT JOIN (
    SELECT width_bucket(v, herald.duration_buckets_ms()) AS b, count(*) AS n
    FROM unnest(p_values) AS v GROUP BY 1
  ) c ON c.b = i
$$;
--> statement-breakpoint

-- Element-wise sum of two arrays (the shorter padded with zeros), and its aggregate.
CREATE FUNCTION herald.array_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}')
  FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;
--> statement-breakpoint

CREATE AGGREGATE herald.sum_array(bigint[]) (sfunc = herald.array_add, stype = bigint[], initcond = '{}');
--> statement-breakpoint

CREATE OR REPLACE FUNCTION herald.roll_up(p_recount interval DEFAULT '5 seconds') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_upper timestamptz := date_trunc('second', now());
  v_lower timestamptz;
  v_totals jsonb;
  v_final timestamptz;
BEGIN
  IF NOT pg_try_advisory_xact_lock(7244211902) THEN
    RETURN NULL;
  END IF;
  SELECT greatest(least(coalesce(rolled_until, v_upper), v_upper - p_recount), v_upper - interval '15 minutes')
  INTO v_lower FROM herald.maintenance_state WHERE id = 1;

  DELETE FROM herald.activity WHERE resolution = 'second' AND bucket >= v_lower AND bucket < v_upper;
  INSERT INTO herald.activity (resolution, bucket, channel, published)
  SELECT 'second', date_trunc('second', e.created_at), e.channel, count(*)
  FROM herald.events e
  WHERE e.created_at >= v_lower AND e.created_at < v_upper
  GROUP BY 2, 3;
  INSERT INTO herald.activity (resolution, bucket, subscription, succeeded, failed, dead, duration_sum_ms, duration_buckets)
  SELECT 'second', date_trunc('second', a.finished_at), d.subscription,
         count(*) FILTER (WHERE a.outcome = 'succeeded'),
         count(*) FILTER (WHERE a.outcome IN ('failed', 'lost')),
         count(*) FILTER (WHERE a.outcome = 'dead'),
         coalesce(sum(greatest(extract(epoch FROM a.finished_at - a.started_at) * 1000, 0)), 0)::bigint,
         herald.histogram(array_agg(greatest(extract(epoch FROM a.finished_at - a.started_at) * 1000, 0)::float8))
  FROM herald.attempts a
  JOIN herald.deliveries d ON d.id = a.delivery_id
  WHERE a.finished_at >= v_lower AND a.finished_at < v_upper
  GROUP BY 2, 3;

  -- Minutes touched by the recount, summed from their seconds.
  DELETE FROM herald.activity
  WHERE resolution = 'minute' AND bucket >= date_trunc('minute', v_lower) AND bucket < v_upper;
  INSERT INTO herald.activity (resolution, bucket, channel, subscription, published, succeeded, failed, dead,
                               duration_sum_ms, duration_buckets)
  SELECT 'minute', date_trunc('minute', bucket), channel, subscription,
         sum(published), sum(succeeded), sum(failed), sum(dead),
         sum(duration_sum_ms), herald.sum_array(duration_buckets::bigint[])::integer[]
  FROM herald.activity
  WHERE resolution = 'second' AND bucket >= date_trunc('minute', v_lower) AND bucket < v_upper
  GROUP BY 2, 3, 4;

  -- Seconds older than the recount window are final: add them to the monotonic totals once.
  SELECT coalesce(final_until, v_lower) INTO v_final FROM herald.maintenance_state WHERE id = 1;
  IF v_final < v_lower THEN
    INSERT INTO herald.activity_totals AS t
      (channel, subscription, published, succeeded, failed, dead, duration_sum_ms, duration_buckets)
    SELECT channel, subscription, sum(published), sum(succeeded), sum(failed), sum(dead),
           sum(duration_sum_ms), herald.sum_array(duration_buckets::bigint[])
    FROM herald.activity
    WHERE resolution = 'second' AND bucket >= v_final AND bucket < v_lower
    GROUP BY 1, 2
    ON CONFLICT (channel, subscription) DO UPDATE
    SET published = t.published + excluded.published, succeeded = t.succeeded + excluded.succeeded,
        failed = t.failed + excluded.failed, dead = t.dead + excluded.dead,
        duration_sum_ms = t.duration_sum_ms + excluded.duration_sum_ms,
        duration_buckets = herald.array_add(t.duration_buckets, excluded.duration_buckets);
  END IF;
  UPDATE herald.maintenance_state SET final_until = greatest(v_final, v_lower) WHERE id = 1;

  DELETE FROM herald.activity WHERE resolution = 'second' AND bucket < v_upper - interval '1 hour';
  DELETE FROM herald.activity WHERE resolution = 'minute' AND bucket < v_upper - interval '8 days';
  UPDATE herald.maintenance_state SET rolled_until = v_upper WHERE id = 1;

  SELECT coalesce(jsonb_agg(jsonb_build_object(
           't', extract(epoch FROM s.bucket)::bigint, 'published', s.published, 'succeeded', s.succeeded,
           'failed', s.failed, 'dead', s.dead) ORDER BY s.bucket), '[]'::jsonb)
  INTO v_totals
  FROM (SELECT bucket, sum(published)::int AS published, sum(succeeded)::int AS succeeded,
               sum(failed)::int AS failed, sum(dead)::int AS dead
        FROM herald.activity
        WHERE resolution = 'second' AND bucket >= v_lower AND bucket < v_upper
        GROUP BY bucket) s;
  RETURN jsonb_build_object('from', extract(epoch FROM v_lower)::bigint, 'to', extract(epoch FROM v_upper)::bigint,
                            'seconds', v_totals);
END
$$;
--> statement-breakpoint

CREATE OR REPLACE FUNCTION herald.report_listener_reconnects(p_id text, p_reconnects integer) RETURNS void
LANGUAGE sql AS $$
  UPDATE herald.workers SET listener_reconnects = p_reconnects WHERE id = p_id AND listener_reconnects <> p_reconnects
$$;
