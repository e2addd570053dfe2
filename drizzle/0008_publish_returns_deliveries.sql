-- publish_one can also answer with the event's key and its deliveries, so the HTTP API's
-- publish is one round trip instead of three (measured against a bare one-INSERT route in
-- bench:api). Same-function follow-up statements see the rows the fan-out trigger wrote.
DROP FUNCTION herald.publish_one(text, jsonb, text, text, timestamptz, text);
--> statement-breakpoint
CREATE FUNCTION herald.publish_one(
  p_channel text,
  p_payload jsonb,
  p_key text,
  p_idempotency_key text,
  p_run_at timestamptz,
  p_source text,
  p_with_deliveries boolean DEFAULT false
) RETURNS TABLE (id bigint, inserted boolean, key text, deliveries jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  INSERT INTO herald.events (channel, payload, key, idempotency_key, run_at, source)
  VALUES (p_channel, p_payload, p_key, p_idempotency_key, p_run_at, p_source)
  ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING events.id INTO id;
  inserted := id IS NOT NULL;
  key := p_key;
  IF NOT inserted THEN
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
