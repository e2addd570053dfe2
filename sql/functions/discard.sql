-- Give up on a pending or dead delivery for good; audited. Manual operations move only
-- deliveries in the state they apply to, so two operators clicking at once act once.
-- Called by lib/operations/deliveries.ts. Guarded by: test/retry.test.ts ("discards on request").
CREATE OR REPLACE FUNCTION herald.discard(p_delivery_id bigint, p_actor text, p_reason text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_found boolean;
BEGIN
  UPDATE herald.deliveries
  SET state = 'discarded', finished_at = now(), updated_at = now()
  WHERE id = p_delivery_id AND state IN ('pending', 'dead');
  v_found := FOUND;
  IF v_found THEN
    INSERT INTO herald.audit_log (actor, action, target, reason)
    VALUES (p_actor, 'delivery.discard', 'delivery:' || p_delivery_id, p_reason);
  END IF;
  RETURN v_found;
END
$$;
