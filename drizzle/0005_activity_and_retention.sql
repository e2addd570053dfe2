CREATE TABLE "herald"."activity" (
	"resolution" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"channel" text DEFAULT '' NOT NULL,
	"subscription" text DEFAULT '' NOT NULL,
	"published" integer DEFAULT 0 NOT NULL,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"dead" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "activity_resolution_bucket_channel_subscription_pk" PRIMARY KEY("resolution","bucket","channel","subscription"),
	CONSTRAINT "activity_resolution_valid" CHECK ("herald"."activity"."resolution" IN ('second','minute'))
);
--> statement-breakpoint
CREATE TABLE "herald"."maintenance_state" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"pruned_before" timestamp with time zone,
	"dead_pruned_before" timestamp with time zone,
	"last_prune_at" timestamp with time zone,
	"events_checked_through" bigint DEFAULT 0 NOT NULL,
	"rolled_until" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "attempts_finished_at" ON "herald"."attempts" USING btree ("finished_at");--> statement-breakpoint
CREATE INDEX "deliveries_finished" ON "herald"."deliveries" USING btree ("finished_at") WHERE "herald"."deliveries"."state" IN ('succeeded','discarded','dead');--> statement-breakpoint
INSERT INTO "herald"."maintenance_state" (id) VALUES (1);
--> statement-breakpoint
ALTER TABLE "herald"."maintenance_state" ADD CONSTRAINT "maintenance_state_single_row" CHECK (id = 1);
--> statement-breakpoint

-- Rolls recent events and attempt outcomes up into herald.activity and returns the per-second
-- totals it (re)computed, for the live dashboard. The last few seconds are recounted on every
-- call, so events from transactions that committed a little after they began are still counted.
-- One caller at a time (a transaction-level advisory lock); the others get NULL and move on.
CREATE FUNCTION herald.roll_up(p_recount interval DEFAULT '5 seconds') RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_upper timestamptz := date_trunc('second', now());
  v_lower timestamptz;
  v_totals jsonb;
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
  INSERT INTO herald.activity (resolution, bucket, subscription, succeeded, failed, dead)
  SELECT 'second', date_trunc('second', a.finished_at), d.subscription,
         count(*) FILTER (WHERE a.outcome = 'succeeded'),
         count(*) FILTER (WHERE a.outcome IN ('failed', 'lost')),
         count(*) FILTER (WHERE a.outcome = 'dead')
  FROM herald.attempts a
  JOIN herald.deliveries d ON d.id = a.delivery_id
  WHERE a.finished_at >= v_lower AND a.finished_at < v_upper
  GROUP BY 2, 3;

  -- Minutes touched by the recount, summed from their seconds.
  DELETE FROM herald.activity
  WHERE resolution = 'minute' AND bucket >= date_trunc('minute', v_lower) AND bucket < v_upper;
  INSERT INTO herald.activity (resolution, bucket, channel, subscription, published, succeeded, failed, dead)
  SELECT 'minute', date_trunc('minute', bucket), channel, subscription,
         sum(published), sum(succeeded), sum(failed), sum(dead)
  FROM herald.activity
  WHERE resolution = 'second' AND bucket >= date_trunc('minute', v_lower) AND bucket < v_upper
  GROUP BY 2, 3, 4;

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

-- Retention: one small batch per call (the caller loops until it returns 0), SKIP LOCKED, so
-- claims never wait behind it. Finished deliveries (succeeded, discarded) go after p_keep, dead
-- ones after p_keep_dead; their attempts go with them (ON DELETE CASCADE); an event goes once
-- no delivery needs it. Events are walked with a keyset cursor, so events still held by a dead
-- delivery are not rescanned on every call.
CREATE FUNCTION herald.prune_history(p_keep interval, p_keep_dead interval, p_batch integer DEFAULT 2000)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_cutoff timestamptz := now() - p_keep;
  v_dead_cutoff timestamptz := now() - p_keep_dead;
  v_deliveries integer;
  v_events integer;
  v_cursor bigint;
  v_next bigint;
  v_row record;
BEGIN
  WITH doomed AS (
    SELECT id FROM herald.deliveries
    WHERE (state IN ('succeeded', 'discarded') AND finished_at < v_cutoff)
       OR (state = 'dead' AND finished_at < v_dead_cutoff)
    ORDER BY finished_at
    LIMIT p_batch
    FOR UPDATE SKIP LOCKED
  ),
  gone AS (
    DELETE FROM herald.deliveries d USING doomed WHERE d.id = doomed.id RETURNING d.event_id
  ),
  orphans AS (
    DELETE FROM herald.events e
    WHERE e.id IN (SELECT event_id FROM gone) AND e.created_at < v_cutoff
      AND NOT EXISTS (SELECT 1 FROM herald.deliveries d WHERE d.event_id = e.id AND d.id NOT IN (SELECT id FROM doomed))
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM orphans) INTO v_deliveries;

  -- Events that never had a delivery (no subscriber) or whose deliveries went earlier, walked
  -- by id from a cursor and never past the first event still inside the retention window.
  SELECT events_checked_through INTO v_cursor FROM herald.maintenance_state WHERE id = 1;
  v_next := v_cursor;
  FOR v_row IN SELECT id, created_at FROM herald.events WHERE id > v_cursor ORDER BY id LIMIT p_batch LOOP
    EXIT WHEN v_row.created_at >= v_cutoff;
    v_next := v_row.id;
  END LOOP;
  v_events := 0;
  IF v_next > v_cursor THEN
    WITH doomed AS (
      DELETE FROM herald.events e
      WHERE e.id > v_cursor AND e.id <= v_next
        AND NOT EXISTS (SELECT 1 FROM herald.deliveries d WHERE d.event_id = e.id)
      RETURNING 1
    )
    SELECT count(*) INTO v_events FROM doomed;
  END IF;

  UPDATE herald.maintenance_state
  SET pruned_before = CASE WHEN v_deliveries < p_batch THEN v_cutoff ELSE pruned_before END,
      dead_pruned_before = CASE WHEN v_deliveries < p_batch THEN v_dead_cutoff ELSE dead_pruned_before END,
      events_checked_through = v_next,
      last_prune_at = now()
  WHERE id = 1;
  RETURN v_deliveries + v_events;
END
$$;
