-- The HTTP API's single publish in one round trip: the API key is re-checked in the same
-- statement that writes the event, instead of a lookup first and the publish after (0011).
-- The caller already knows the key (a lookup earlier in this process) and decided the request
-- is allowed from its scopes; keys never change after creation except by revocation, so checking
-- that the key still exists, unrevoked, with the same secret, is the whole re-check. A revoked
-- key publishes nothing: the row comes back with key_valid = false and the caller answers 401.
-- The event's source names the key as the database has it.
-- Settings: jit = off, as publish_one (0009).
-- Guarded by: test/api-key-revoke.test.ts, test/api-routes.test.ts.
CREATE OR REPLACE FUNCTION herald.publish_one_as_key(
  p_key_id bigint,
  p_secret_hash text,
  p_channel text,
  p_payload jsonb,
  p_key text,
  p_idempotency_key text,
  p_run_at timestamptz,
  p_with_deliveries boolean DEFAULT false
) RETURNS TABLE (key_valid boolean, id bigint, inserted boolean, key text, deliveries jsonb)
LANGUAGE plpgsql SET jit = off AS $$
#variable_conflict use_column
DECLARE
  v_source text;
BEGIN
  SELECT 'api-key:' || k.name INTO v_source FROM herald.api_keys k
  WHERE k.id = p_key_id AND k.secret_hash = p_secret_hash AND k.revoked_at IS NULL;
  IF v_source IS NULL THEN
    key_valid := false;
    RETURN NEXT;
    RETURN;
  END IF;
  RETURN QUERY
  SELECT true, p.id, p.inserted, p.key, p.deliveries
  FROM herald.publish_one(p_channel, p_payload, p_key, p_idempotency_key, p_run_at, v_source, p_with_deliveries) p;
END
$$;
