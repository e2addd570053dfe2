-- The single-delivery form of herald.fail_many, for consumers in other languages.
-- Settings: enable_seqscan = off, as fail_many (0015).
-- Guarded by: test/sql-consumer.test.ts.
CREATE OR REPLACE FUNCTION herald.fail(
  p_worker text, p_delivery_id bigint, p_attempt integer, p_error text,
  p_retry_after_ms bigint DEFAULT NULL, p_permanent boolean DEFAULT false, p_code text DEFAULT NULL
) RETURNS TABLE (delivery_id bigint, outcome text, next_run_at timestamptz)
LANGUAGE sql
SET enable_seqscan = off AS $$
  SELECT * FROM herald.fail_many(p_worker, ARRAY[p_delivery_id], ARRAY[p_attempt],
    ARRAY[NULL::timestamptz], ARRAY[p_error], ARRAY[NULL::text], ARRAY[p_code],
    ARRAY[p_retry_after_ms], ARRAY[p_permanent], ARRAY[NULL::jsonb])
$$;
