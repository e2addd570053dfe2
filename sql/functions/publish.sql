-- Publish from any language: SELECT herald.publish('order.approved', '{"orderId": "1042"}', 'order:1042');
-- Returns the event id; with an idempotency key already used on this channel, returns the
-- first event's id and creates nothing. Deliveries come from the trigger events_fan_out.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit = off: JIT never pays off in a call this short, and a large table's estimates can push
--     it over jit_above_cost: ~17 ms of compiling per call (10 M deliveries: claim + completion
--     1.3 ms → 20 ms; 0009).
--   enable_seqscan = off: generic plans cached while the tables were small (and the foreign-key
--     checks they fire) must still find rows by key once the tables are large (7 ms per delivery
--     at 50,000 events; a 1,000-event HTTP batch took 4–8 s instead of 0.1 s; 0015).
--     test/cached-plans.test.ts.
-- Guarded by: test/publish.test.ts, test/sql-consumer.test.ts.
CREATE OR REPLACE FUNCTION herald.publish(
  p_channel text,
  p_payload jsonb,
  p_key text DEFAULT NULL,
  p_idempotency_key text DEFAULT NULL,
  p_run_at timestamptz DEFAULT NULL,
  p_source text DEFAULT 'sql'
) RETURNS bigint
LANGUAGE plpgsql
SET jit = off SET enable_seqscan = off AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO herald.events (channel, payload, key, idempotency_key, run_at, source)
  VALUES (p_channel, p_payload, p_key, p_idempotency_key, p_run_at, p_source)
  ON CONFLICT (channel, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    SELECT id INTO v_id FROM herald.events
    WHERE channel = p_channel AND idempotency_key = p_idempotency_key;
  END IF;
  RETURN v_id;
END
$$;
