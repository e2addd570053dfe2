-- The provider circuit breaker (issue #21), its success side: deliveries of p_subscriptions
-- just succeeded (fenced by complete_many). closed: the run of failures is broken, the count
-- starts again. open: the provider answers again (the probe, or an attempt that was in flight
-- when the circuit opened): half-open, the held deliveries are released at
-- circuit_release_per_second from now (claim_many through herald.send_pacing, whose slots never
-- burst). half-open: nothing changes.
-- complete_many calls this only when some circuit needs attention (the partial index
-- circuits_attention is not empty), so a healthy system pays one probe of an empty index per
-- batch of successes. Rows are locked in subscription order (see circuit_failures).
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit, hash and merge joins, sequential scans off, as in the functions that call it (0009,
--   0013, 0015).
-- Guarded by: test/circuit-breaker.test.ts.
CREATE OR REPLACE FUNCTION herald.circuit_successes(p_subscriptions text[]) RETURNS void
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
  c record;
BEGIN
  FOR c IN
    SELECT ci.subscription, ci.state FROM herald.circuits ci
    WHERE ci.subscription = ANY(p_subscriptions) AND (ci.state <> 'closed' OR ci.failures > 0)
    ORDER BY ci.subscription
    FOR UPDATE
  LOOP
    IF c.state = 'closed' THEN
      UPDATE herald.circuits SET failures = 0, window_started_at = NULL, updated_at = now()
      WHERE subscription = c.subscription;
    ELSIF c.state = 'open' THEN
      UPDATE herald.circuits
      SET state = 'half-open', half_open_at = now(),
          next_probe_at = NULL, updated_at = now()
      WHERE subscription = c.subscription;
    END IF;
  END LOOP;
END
$$;
