-- The single publish of publish() in TypeScript (lib/publish.ts, a prepared statement per
-- connection): inserts the event and its deliveries, wakes a waiting worker, and can answer
-- with the event's key and its deliveries, so the HTTP API's publish is one round trip (0008).
-- Why the deliveries are written here, not by the trigger (0014): a trigger with a transition
-- table costs every insert a tuple store and the trigger function's run. pgbench, 32 clients,
-- one event and one delivery per transaction: the trigger path reached 85–88 % of plain INSERTs
-- of the same rows, the inline one 93–95 % (both prepared: 72–77 % before, 78–85 % after).
-- The SET herald.fan_out = 'inline' below makes the trigger's WHEN skip this insert; a
-- function's SET lasts exactly as long as the call, errors included, so an INSERT into
-- herald.events later in the same transaction still fans out. The wake-up is written out
-- instead of calling herald.wake_workers(): the nested PL/pgSQL call cost 8–14 % of a publish.
-- Why ON CONFLICT only with an idempotency key (0017): without a key nothing can conflict, yet
-- ON CONFLICT made the insert speculative, 5 % more WAL per publish (1,097 against 1,042
-- bytes, pgbench). The batch statement in lib/publish.ts makes the same choice.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit = off: JIT never pays off in a call this short, and a large table's estimates can push
--     it over jit_above_cost: ~17 ms of compiling per call (10 M deliveries: claim + completion
--     1.3 ms → 20 ms; 0009).
--   enable_seqscan = off: generic plans cached while the tables were small (and the foreign-key
--     checks they fire) must still find rows by key once the tables are large (7 ms per delivery
--     at 50,000 events; a 1,000-event HTTP batch took 4–8 s instead of 0.1 s; 0015).
--     test/cached-plans.test.ts.
--   herald.fan_out = 'inline': see above (the trigger's WHEN).
-- Guarded by: test/publish.test.ts ("fans out a plain INSERT made after publish() in the same
-- transaction", "… after a publish() that failed inside a savepoint", "holds the idempotency key
-- under 20 concurrent publishers"), test/cached-plans.test.ts, test/notify.test.ts;
-- bench:publish.
CREATE OR REPLACE FUNCTION herald.publish_one(
  p_channel text,
  p_payload jsonb,
  p_key text,
  p_idempotency_key text,
  p_run_at timestamptz,
  p_source text,
  p_with_deliveries boolean DEFAULT false
) RETURNS TABLE (id bigint, inserted boolean, key text, deliveries jsonb)
LANGUAGE plpgsql SET jit = off SET herald.fan_out = 'inline' SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  IF p_idempotency_key IS NULL THEN
    INSERT INTO herald.events (channel, payload, key, run_at, source)
    VALUES (p_channel, p_payload, p_key, p_run_at, p_source)
    RETURNING events.id INTO id;
  ELSE
    INSERT INTO herald.events (channel, payload, key, idempotency_key, run_at, source)
    VALUES (p_channel, p_payload, p_key, p_idempotency_key, p_run_at, p_source)
    ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING events.id INTO id;
  END IF;
  inserted := id IS NOT NULL;
  key := p_key;
  IF inserted THEN
    -- The same fan-out as herald.fan_out_events(), for this one event, and the same wake-up
    -- as herald.wake_workers(), written out: calling it (a nested PL/pgSQL call) cost 8–14 %
    -- of a publish in pgbench.
    INSERT INTO herald.deliveries (event_id, subscription, run_at)
    SELECT publish_one.id, s.name, greatest(coalesce(p_run_at, now()), now())
    FROM herald.subscriptions s
    WHERE herald.channel_matches(s.channel_pattern, p_channel);
    IF FOUND AND current_setting('herald.notify', true) IS DISTINCT FROM 'off'
       AND EXISTS (SELECT 1 FROM herald.workers WHERE waiting) THEN
      PERFORM pg_notify('herald_wakeup', '');
    END IF;
  ELSE
    -- A new statement, so a duplicate committed by a concurrent publisher is visible; the
    -- answer is the first event, with its own key.
    SELECT e.id, e.key INTO id, key FROM herald.events e
    WHERE e.channel = p_channel AND e.idempotency_key = p_idempotency_key;
  END IF;
  IF p_with_deliveries THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'subscription', d.subscription, 'state', d.state)
                              ORDER BY d.id), '[]'::jsonb)
    INTO deliveries
    FROM herald.deliveries d WHERE d.event_id = publish_one.id;  -- qualified: `id` alone is the column
  END IF;
  RETURN NEXT;
END
$$;
