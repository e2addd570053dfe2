-- Run a delivery that waits for its next scheduled retry now; audited, wakes the workers.
-- Called by lib/operations/deliveries.ts. Guarded by: test/retry.test.ts ("runs a scheduled
-- retry now on request").
CREATE OR REPLACE FUNCTION herald.retry_now(p_delivery_id bigint, p_actor text, p_reason text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_found boolean;
BEGIN
  UPDATE herald.deliveries
  SET run_at = now(), manual_next = true, updated_at = now()
  WHERE id = p_delivery_id AND state = 'pending';
  v_found := FOUND;
  IF v_found THEN
    INSERT INTO herald.audit_log (actor, action, target, reason)
    VALUES (p_actor, 'delivery.retry_now', 'delivery:' || p_delivery_id, p_reason);
    PERFORM herald.wake_workers();
  END IF;
  RETURN v_found;
END
$$;
