-- The single-subscription form of herald.claim_many, for consumers written in other languages:
-- SELECT * FROM herald.claim('my-worker', 'send-order-email', 10);
-- Settings: enable_seqscan = off, as claim_many (0015): the one-row forms write the same rows.
-- Guarded by: test/sql-consumer.test.ts.
CREATE OR REPLACE FUNCTION herald.claim(p_worker text, p_subscription text, p_limit integer DEFAULT 1)
RETURNS TABLE (
  delivery_id bigint,
  subscription text,
  attempt integer,
  manual boolean,
  lease_expires_at timestamptz,
  event_id bigint,
  channel text,
  payload jsonb,
  key text,
  published_at timestamptz
)
LANGUAGE sql
SET enable_seqscan = off AS $$
  SELECT * FROM herald.claim_many(p_worker, ARRAY[p_subscription], ARRAY[p_limit])
$$;
