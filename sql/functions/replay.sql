-- Replay a dead delivery: back to pending, with a fresh retry budget (attempts_before_replay);
-- its history stays. Audited and wakes the workers. Manual operations move only deliveries in
-- the state they apply to, so two operators clicking at once act once.
-- Called by lib/operations/deliveries.ts.
-- Guarded by: test/retry.test.ts ("grants a replayed delivery a fresh retry budget"),
-- test/dlq-race.test.ts ("two operators replaying the same delivery at once: it runs once").
CREATE OR REPLACE FUNCTION herald.replay(p_delivery_id bigint, p_actor text, p_reason text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_found boolean;
BEGIN
  UPDATE herald.deliveries
  SET state = 'pending', run_at = now(), manual_next = true, finished_at = NULL,
      attempts_before_replay = attempts, updated_at = now()
  WHERE id = p_delivery_id AND state = 'dead';
  v_found := FOUND;
  IF v_found THEN
    INSERT INTO herald.audit_log (actor, action, target, reason)
    VALUES (p_actor, 'delivery.replay', 'delivery:' || p_delivery_id, p_reason);
    PERFORM herald.wake_workers();
  END IF;
  RETURN v_found;
END
$$;
