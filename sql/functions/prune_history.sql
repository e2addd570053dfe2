-- Retention: one small batch per call (worker/maintenance.ts loops until it returns 0), SKIP
-- LOCKED, so claims never wait behind it. Finished deliveries (succeeded, discarded) go after
-- p_keep, dead ones after p_keep_dead; their logged attempts go with them (trigger
-- deliveries_take_their_attempts); an event goes once no delivery needs it. Events are walked
-- with a keyset cursor, so events still held by a dead delivery are not rescanned on every call.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   enable_hashjoin/mergejoin = off: a handful of rows, each by key; on analysed tables with a
--     backlog the planner chose hash joins over whole tables (7 ms per claim at 20,000
--     deliveries, growing with the backlog; 0013). test/claim-plans.test.ts.
--   enable_seqscan = off: generic plans cached while the tables were small (and the foreign-key
--     checks they fire) must still find rows by key once the tables are large (7 ms per delivery
--     at 50,000 events; a 1,000-event HTTP batch took 4–8 s instead of 0.1 s; 0015).
--     test/cached-plans.test.ts.
--   (expired rows by their time indexes, the cascades by the foreign-key indexes; 0015)
-- Guarded by: test/maintenance.test.ts ("removes expired history while a worker delivers at
-- full speed"), test/cached-plans.test.ts.
CREATE OR REPLACE FUNCTION herald.prune_history(p_keep interval, p_keep_dead interval, p_batch integer DEFAULT 2000)
RETURNS integer
LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
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
