-- The single publish (publish() in TypeScript, the HTTP API) writes its deliveries itself
-- instead of through the statement trigger. A trigger with a transition table costs every
-- insert a tuple store and the trigger function's run: measured with pgbench, 32 clients, one
-- event and one delivery per transaction, the trigger path reached 85–88 % of plain INSERTs of
-- the same rows and the inline one 93–95 % (both sides parsed on every call; with both
-- prepared, 72–77 % before and 78–85 % after, the wake-up check below written out). The
-- trigger stays for every other insert (plain SQL, herald.publish, batches); publish_one runs
-- with herald.fan_out = 'inline', which the trigger's WHEN skips. A function's SET lasts
-- exactly as long as the call, errors included, so an INSERT into herald.events later in the
-- same transaction still fans out (test/publish.test.ts).
DROP TRIGGER events_fan_out ON herald.events;
--> statement-breakpoint
CREATE TRIGGER events_fan_out
AFTER INSERT ON herald.events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT
WHEN (current_setting('herald.fan_out', true) IS DISTINCT FROM 'inline')
EXECUTE FUNCTION herald.fan_out_events();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION herald.publish_one(
  p_channel text,
  p_payload jsonb,
  p_key text,
  p_idempotency_key text,
  p_run_at timestamptz,
  p_source text,
  p_with_deliveries boolean DEFAULT false
) RETURNS TABLE (id bigint, inserted boolean, key text, deliveries jsonb)
LANGUAGE plpgsql SET jit = off SET herald.fan_out = 'inline' AS $$
#variable_conflict use_column
BEGIN
  INSERT INTO herald.events (channel, payload, key, idempotency_key, run_at, source)
  VALUES (p_channel, p_payload, p_key, p_idempotency_key, p_run_at, p_source)
  ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING events.id INTO id;
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
