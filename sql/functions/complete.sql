-- The single-delivery form of herald.complete_many, for consumers in other languages; true when
-- the success was recorded, false when the delivery was no longer this worker's to complete.
-- Settings: enable_seqscan = off, as complete_many (0015).
-- Guarded by: test/sql-consumer.test.ts.
CREATE OR REPLACE FUNCTION herald.complete(
  p_worker text, p_delivery_id bigint, p_attempt integer, p_result jsonb DEFAULT NULL
) RETURNS boolean
LANGUAGE sql
SET enable_seqscan = off AS $$
  SELECT EXISTS (
    SELECT 1 FROM herald.complete_many(p_worker, ARRAY[p_delivery_id], ARRAY[p_attempt],
                                       ARRAY[NULL::timestamptz], ARRAY[p_result])
  )
$$;
