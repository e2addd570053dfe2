-- A publish without an idempotency key cannot conflict, yet ON CONFLICT made its insert a
-- speculative one: a speculative-insertion lock and a second WAL record (the confirmation) for
-- every event, 5 % more WAL per publish than the same INSERT without it (1,097 against 1,042
-- bytes, measured with pgbench; the plain INSERT of the bench:publish baseline writes 1,051).
-- ON CONFLICT now runs only when there is a key to conflict on. The batch statement in
-- lib/publish.ts makes the same choice. Otherwise as in 0014 (its SET clauses restated: OR
-- REPLACE resets them, and 0015 added enable_seqscan).
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
