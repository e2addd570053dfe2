-- Trigger function (triggers/events_fan_out.sql): fan-out for every insert into herald.events
-- except publish_one's (plain SQL, herald.publish, batches). Runs once per INSERT statement over
-- all its new events (a transition table), so a batch of 1,000 events costs one INSERT into
-- deliveries, not 1,000.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit = off: JIT never pays off in a call this short, and a large table's estimates can push
--     it over jit_above_cost: ~17 ms of compiling per call (10 M deliveries: claim + completion
--     1.3 ms → 20 ms; 0009).
--   enable_seqscan = off: generic plans cached while the tables were small (and the foreign-key
--     checks they fire) must still find rows by key once the tables are large (7 ms per delivery
--     at 50,000 events; a 1,000-event HTTP batch took 4–8 s instead of 0.1 s; 0015).
--     test/cached-plans.test.ts.
-- Guarded by: test/publish.test.ts ("gives plain SQL publishers exactly the same fan-out"),
-- test/cached-plans.test.ts.
CREATE OR REPLACE FUNCTION herald.fan_out_events() RETURNS trigger
LANGUAGE plpgsql
SET jit = off SET enable_seqscan = off AS $$
DECLARE
  fanned integer;
BEGIN
  INSERT INTO herald.deliveries (event_id, subscription, run_at)
  SELECT e.id, s.name, greatest(coalesce(e.run_at, now()), now())
  FROM new_events e
  JOIN herald.subscriptions s ON herald.channel_matches(s.channel_pattern, e.channel);
  GET DIAGNOSTICS fanned = ROW_COUNT;
  IF fanned > 0 THEN
    PERFORM herald.wake_workers();
  END IF;
  RETURN NULL;
END
$$;
