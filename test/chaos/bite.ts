/**
 * Protections removed, to show the suite bites. Test-only: applied to one scenario's database.
 *
 * herald.complete_many without its fence: it completes whatever id it is given, whoever holds
 * the lease and whatever attempt is current — the River #1302 bug the real function prevents.
 */
export const UNFENCED_COMPLETE_MANY = `
CREATE OR REPLACE FUNCTION herald.complete_many(
  p_worker text, p_ids bigint[], p_attempts integer[], p_started_at timestamptz[], p_results jsonb[],
  p_manual boolean[] DEFAULT NULL
) RETURNS TABLE (delivery_id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_attempts, p_started_at, p_results) AS x(id, attempt, started_at, result)
  ),
  done AS (
    UPDATE herald.deliveries d
    SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
        manual_next = false, finished_at = now(), updated_at = now()
    FROM input
    WHERE d.id = input.id
    RETURNING d.id, d.attempts, d.claimed_at, input.started_at, input.result
  )
  INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, outcome, result)
  SELECT id, attempts, p_worker, coalesce(started_at, claimed_at, now()), 'succeeded', result
  FROM done
  RETURNING delivery_id;
END
$$`;

/** The listener's reconnect loop off (lib/db/listener.ts honours this test-only switch). */
export const NO_LISTENER_RECONNECT = { HERALD_TEST_DISABLE_LISTENER_RECONNECT: '1' };
