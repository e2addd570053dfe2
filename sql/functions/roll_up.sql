-- Rolls recent events and attempt outcomes up into herald.activity (per second and per minute),
-- adds seconds that are final to herald.activity_totals, and returns the per-second totals it
-- (re)computed, for the live dashboard's one NOTIFY. The last few seconds are recounted on
-- every call, so events from transactions that committed a little after they began are still
-- counted. One caller at a time (a transaction-level advisory lock); the others get NULL and
-- move on. Called by worker/maintenance.ts every second.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   enable_hashjoin/mergejoin = off: a handful of rows, each by key; on analysed tables with a
--     backlog the planner chose hash joins over whole tables (7 ms per claim at 20,000
--     deliveries, growing with the backlog; 0013). test/claim-plans.test.ts.
--   enable_seqscan = off: generic plans cached while the tables were small (and the foreign-key
--     checks they fire) must still find rows by key once the tables are large (7 ms per delivery
--     at 50,000 events; a 1,000-event HTTP batch took 4–8 s instead of 0.1 s; 0015).
--     test/cached-plans.test.ts.
--   (a few seconds' window of events and attempts by their time indexes, each attempt's delivery
--   by key: a hash join would read all of `deliveries` every second; 0015)
-- Guarded by: test/maintenance.test.ts ("counts published events and outcomes per second and
-- per minute"), test/metrics.test.ts, test/cached-plans.test.ts.
CREATE OR REPLACE FUNCTION herald.roll_up(p_recount interval DEFAULT '5 seconds') RETURNS jsonb
LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
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
