-- Completing a batch read every delivery twice: the UPDATE, and a self-join for the value of
-- manual_next before the UPDATE reset it (RETURNING shows only new values). The worker already
-- knows it — claim returned it as `manual`, and nothing changes it while the delivery runs — so
-- it now passes it in (p_manual), and the extra read per delivery is gone from the hot path.
-- Callers that do not pass it (consumers in other languages, herald.complete) have it read first.
DROP FUNCTION herald.complete_many(text, bigint[], integer[], timestamptz[], jsonb[]);
--> statement-breakpoint
CREATE FUNCTION herald.complete_many(
  p_worker text,
  p_ids bigint[],
  p_attempts integer[],
  p_started_at timestamptz[],
  p_results jsonb[],
  p_manual boolean[] DEFAULT NULL
) RETURNS TABLE (delivery_id bigint)
LANGUAGE plpgsql SET jit = off AS $$
#variable_conflict use_column
BEGIN
  IF p_manual IS NULL THEN
    SELECT array_agg(coalesce(d.manual_next, false) ORDER BY x.ord) INTO p_manual
    FROM unnest(p_ids) WITH ORDINALITY AS x(id, ord)
    LEFT JOIN herald.deliveries d ON d.id = x.id;
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_attempts, p_started_at, p_results, p_manual)
      AS x(id, attempt, started_at, result, manual)
  ),
  done AS (
    UPDATE herald.deliveries d
    SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
        manual_next = false, finished_at = now(), updated_at = now()
    FROM input
    WHERE d.id = input.id AND d.state = 'running' AND d.lease_owner = p_worker AND d.attempts = input.attempt
    RETURNING d.id, d.attempts, input.manual, d.claimed_at, input.started_at, input.result
  )
  INSERT INTO herald.attempts (delivery_id, attempt, worker, started_at, outcome, result, manual)
  SELECT id, attempts, p_worker, coalesce(started_at, claimed_at, now()), 'succeeded', result,
         coalesce(manual, false)
  FROM done
  RETURNING delivery_id;
END
$$;
