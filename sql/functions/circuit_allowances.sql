-- The provider circuit breaker (issue #21), its claim side: how many deliveries of each
-- p_subscriptions[i] a claim may take, given the p_limits[i] the worker asked for. Called by
-- claim_many only when a circuit of one of them is not closed.
-- open: nothing, except one probe when next_probe_at has come and a delivery is runnable;
-- taking it doubles the wait (capped at circuit_probe_max_ms) and moves next_probe_at on by it:
-- probes go out circuit_probe_ms after the circuit opened, then 2×, 4×… that apart. The row lock makes that one probe for all worker processes: a second
-- claimer waits for the lock, then sees the moved next_probe_at.
-- half-open: the claim is not cut here; herald.send_pacing paces it at circuit_release_per_second
-- (or the subscription's own send rate, if lower), the one limiter for both (issue #21 item 4), so
-- all workers together release the held deliveries at that rate. When nothing of the
-- subscription is runnable or running any more, the circuit is closed and the subscription's own
-- rate (if any) is all that limits it. Running counts: a worker that misses a delivery's send slot
-- gives it back (worker/send-slot.ts), and closing before that would send it unpaced, in a burst
-- with the last paced ones (test/circuit-long-outage.test.ts saw 65 starts in a second at 60/s).
-- A paused subscription is left alone (claim_many takes nothing of it): no probe is spent on it.
-- Rows are locked in subscription order (see circuit_failures); deliveries are claimed after
-- with SKIP LOCKED, so holding a circuit lock never waits for a delivery.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit, hash and merge joins, sequential scans off, as in claim_many (0009, 0013, 0015).
-- Guarded by: test/circuit-breaker.test.ts, test/send-rate.test.ts.
CREATE OR REPLACE FUNCTION herald.circuit_allowances(p_subscriptions text[], p_limits integer[])
RETURNS integer[]
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
  v_limits integer[] := p_limits;
  c record;
BEGIN
  FOR c IN
    SELECT ci.subscription, ci.state, ci.next_probe_at, ci.probe_interval_ms,
           u.i, s.circuit_probe_max_ms AS probe_max_ms, s.circuit_enabled AS enabled
    FROM unnest(p_subscriptions) WITH ORDINALITY AS u(name, i)
    JOIN herald.circuits ci ON ci.subscription = u.name
    JOIN herald.subscriptions s ON s.name = u.name
    WHERE ci.state <> 'closed' AND p_limits[u.i] > 0 AND NOT s.paused
    ORDER BY ci.subscription
    FOR UPDATE OF ci
  LOOP
    IF NOT c.enabled THEN
      -- Turned off while open: let everything through and forget the outage.
      UPDATE herald.circuits
      SET state = 'closed', failures = 0, window_started_at = NULL, opened_at = NULL, next_probe_at = NULL,
          half_open_at = NULL, closed_at = now(), updated_at = now()
      WHERE subscription = c.subscription;
    ELSIF c.state = 'open' THEN
      IF c.next_probe_at <= now() AND EXISTS (
           SELECT 1 FROM herald.deliveries d
           WHERE d.subscription = c.subscription AND d.state = 'pending' AND d.run_at <= now()) THEN
        UPDATE herald.circuits
        SET next_probe_at = now() + least(c.probe_max_ms, c.probe_interval_ms * 2) * interval '1 millisecond',
            probe_interval_ms = least(c.probe_max_ms, c.probe_interval_ms * 2),
            probes = probes + 1, last_probe_at = now(), updated_at = now()
        WHERE subscription = c.subscription;
        v_limits[c.i] := 1;
      ELSE
        v_limits[c.i] := 0;
      END IF;
    ELSIF NOT EXISTS (
        SELECT 1 FROM herald.deliveries d
        WHERE d.subscription = c.subscription AND d.state = 'pending' AND d.run_at <= now())
      AND NOT EXISTS (
        SELECT 1 FROM herald.deliveries d WHERE d.subscription = c.subscription AND d.state = 'running') THEN
      UPDATE herald.circuits
      SET state = 'closed', failures = 0, window_started_at = NULL, opened_at = NULL, half_open_at = NULL,
          closed_at = now(), updated_at = now()
      WHERE subscription = c.subscription;
    END IF;
  END LOOP;
  RETURN v_limits;
END
$$;
