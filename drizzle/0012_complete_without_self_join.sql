-- Completing a batch read every delivery twice: the UPDATE, and a self-join for the value of
-- manual_next before the UPDATE reset it (RETURNING shows only new values). The worker already
-- knows it — claim returned it as `manual`, and nothing changes it while the delivery runs — so
-- it now passes it in (p_manual), and the extra index probe per delivery is gone. Callers that
-- do not pass it (consumers in other languages, herald.complete) keep the old behaviour.
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
  IF p_manual IS NOT NULL THEN
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
    RETURN;
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_attempts, p_started_at, p_results) AS x(id, attempt, started_at, result)
  ),
  done AS (
    UPDATE herald.deliveries d
    SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
        manual_next = false, finished_at = now(), updated_at = now()
    FROM input
    JOIN herald.deliveries prev ON prev.id = input.id
    WHERE d.id = input.id AND d.state = 'running' AND d.lease_owner = p_worker AND d.attempts = input.attempt
    RETURNING d.id, d.attempts, prev.manual_next AS was_manual, prev.claimed_at,
              input.started_at, input.result
  )
  INSERT INTO herald.attempts (delivery_id, attempt, worker, started_at, outcome, result, manual)
  SELECT id, attempts, p_worker, coalesce(started_at, claimed_at, now()), 'succeeded', result, was_manual
  FROM done
  RETURNING delivery_id;
END
$$;
