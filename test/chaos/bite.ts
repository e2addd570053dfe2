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
  -- As migration 0019 records a success, on the delivery's row, but for any id it is given.
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_attempts, p_started_at, p_results) AS x(id, attempt, started_at, result)
  )
  UPDATE herald.deliveries d
  SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
      manual_next = false, finished_at = now(), updated_at = now(),
      success_attempt_id = nextval('herald.attempts_id_seq'),
      success_started_at = coalesce(input.started_at, d.claimed_at, now()),
      success_worker = p_worker, success_result = input.result, success_manual = false
  FROM input
  WHERE d.id = input.id
  RETURNING d.id;
END
$$`;

/** A worker entry whose listener reconnect loop is off (worker/run.ts passes it to lib/db/listener.ts). */
export const NO_LISTENER_RECONNECT_WORKER = 'test/chaos/worker-without-reconnect.ts';
