-- The provider circuit breaker (issue #21), its failure side: p_counts[i] provider-unavailable
-- failures of p_subscriptions[i] were just recorded (fenced: only attempts still this worker's
-- to record count, so a late or repeated outcome cannot count twice). Returns the subscriptions
-- whose circuit is open after counting them: fail_many holds those failures (back to pending,
-- the attempt not spent) instead of scheduling a retry.
-- closed: failures are counted from the first one in the window (circuit_window_ms); a success
-- in between resets the count (circuit_successes). Reaching circuit_failures opens the circuit:
-- the outage begins, the first probe waits circuit_probe_ms. The failures that open it are held
-- too, so a run of failures spends at most circuit_failures − 1 attempts before it opens.
-- open: the outage goes on; counted for the overview. half-open: the provider failed again
-- while the held deliveries were being released: open again, the outage's start kept, the
-- probe wait back to its first step.
-- Rows are locked in subscription order, as everywhere circuits are locked (claim_many through
-- circuit_allowances, complete_many through circuit_successes), after the deliveries: no
-- lock cycle (claims take deliveries with SKIP LOCKED, never waiting for one).
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit, hash and merge joins, sequential scans off, as in the functions that call it: a
--     handful of rows, each by key (0009, 0013, 0015).
-- Guarded by: test/circuit-breaker.test.ts.
CREATE OR REPLACE FUNCTION herald.circuit_failures(p_subscriptions text[], p_counts integer[], p_error text DEFAULT NULL)
RETURNS text[]
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
  v_open text[] := '{}';
  c record;
BEGIN
  INSERT INTO herald.circuits (subscription)
  SELECT s.name FROM unnest(p_subscriptions) AS u(name)
  JOIN herald.subscriptions s ON s.name = u.name
  WHERE s.circuit_enabled
  ORDER BY s.name
  ON CONFLICT (subscription) DO NOTHING;

  FOR c IN
    SELECT ci.subscription, ci.state, ci.failures, ci.window_started_at, u.n,
           s.circuit_failures AS threshold, s.circuit_window_ms AS window_ms, s.circuit_probe_ms AS probe_ms,
           s.circuit_probe_max_ms AS probe_max_ms
    FROM unnest(p_subscriptions, p_counts) AS u(name, n)
    JOIN herald.subscriptions s ON s.name = u.name
    JOIN herald.circuits ci ON ci.subscription = u.name
    WHERE s.circuit_enabled AND u.n > 0
    ORDER BY ci.subscription
    FOR UPDATE OF ci
  LOOP
    IF c.state = 'closed' THEN
      IF c.window_started_at IS NULL OR c.failures = 0
         OR c.window_started_at < now() - c.window_ms * interval '1 millisecond' THEN
        c.failures := c.n;
        c.window_started_at := now();
      ELSE
        c.failures := c.failures + c.n;
      END IF;
      IF c.failures >= c.threshold THEN
        UPDATE herald.circuits
        SET state = 'open', failures = c.failures, window_started_at = c.window_started_at,
            opened_at = now(), opened_by = left(p_error, 2000), probes = 0, last_probe_at = NULL,
            probe_interval_ms = c.probe_ms, next_probe_at = now() + c.probe_ms * interval '1 millisecond',
            half_open_at = NULL, outages = outages + 1, updated_at = now()
        WHERE subscription = c.subscription;
        v_open := v_open || c.subscription;
      ELSE
        UPDATE herald.circuits
        SET failures = c.failures, window_started_at = c.window_started_at, updated_at = now()
        WHERE subscription = c.subscription;
      END IF;
    ELSIF c.state = 'open' THEN
      UPDATE herald.circuits SET failures = failures + c.n, updated_at = now()
      WHERE subscription = c.subscription;
      v_open := v_open || c.subscription;
    ELSE
      UPDATE herald.circuits
      SET state = 'open', failures = failures + c.n, half_open_at = NULL,
          probe_interval_ms = c.probe_ms, next_probe_at = now() + c.probe_ms * interval '1 millisecond',
          updated_at = now()
      WHERE subscription = c.subscription;
      v_open := v_open || c.subscription;
    END IF;
  END LOOP;
  RETURN v_open;
END
$$;
