-- The send-rate limiter (issue #21 item 4), its claim side: which of p_subscriptions are paced, at
-- what rate, and how many of the p_limits[i] deliveries asked for may be claimed now. Called by
-- claim_many only when some subscription asked for has a rate (the partial index
-- subscriptions_rate_limited) or some circuit needs attention, so the unlimited path pays one
-- probe of an almost empty index.
-- A subscription's rate: the operator's rate_override (0 lifts the limit), else its declared
-- rate_per_second; while its circuit is half-open, also no more than circuit_release_per_second.
-- One rule for both: the circuit's paced release is the same limiter at the lower rate.
-- GCRA ("virtual scheduling"): herald.send_rates.next_slot_at is the next free send slot. A claim
-- takes slots 1/rate apart from max(next_slot_at, now), those no later than one second from now,
-- at most as many as asked; claim_paced hands each delivery the wait until its slot and moves
-- next_slot_at past the slots it used (unused ones are not spent). Slots in any span of T
-- seconds therefore number at most rate·T + 1, whatever the number of workers or their speed;
-- a worker that would start a delivery later than its slot allows gives it back instead
-- (worker/send-slot.ts), so sends cannot bunch up either. The one-second horizon bounds how long
-- a claimed delivery waits for its slot (well inside a lease) while keeping the queue of a fast
-- worker full.
-- The send_rates row is locked (FOR UPDATE, in subscription order like the circuits) until the
-- claim's transaction ends: concurrent claims of one paced subscription take turns, which is
-- what makes the slots disjoint. Unpaced subscriptions return rate NULL; rates is NULL when none
-- is paced (claim_many then takes the plain path).
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit, hash and merge joins, sequential scans off, as in claim_many (0009, 0013, 0015).
-- Guarded by: test/send-rate.test.ts, test/circuit-breaker.test.ts.
CREATE OR REPLACE FUNCTION herald.send_pacing(
  p_subscriptions text[],
  p_limits integer[],
  OUT limits integer[],
  OUT rates float8[],
  OUT first_slots timestamptz[]
)
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_first timestamptz;
  c record;
BEGIN
  limits := p_limits;
  FOR c IN
    SELECT u.name, u.i,
           least(nullif(coalesce(s.rate_override, s.rate_per_second), 0),
                 CASE WHEN ci.state = 'half-open' THEN s.circuit_release_per_second END) AS rate
    FROM unnest(p_subscriptions) WITH ORDINALITY AS u(name, i)
    JOIN herald.subscriptions s ON s.name = u.name
    LEFT JOIN herald.circuits ci ON ci.subscription = u.name
    WHERE p_limits[u.i] > 0 AND NOT s.paused
    ORDER BY u.name
  LOOP
    CONTINUE WHEN c.rate IS NULL;
    SELECT greatest(r.next_slot_at, v_now) INTO v_first
    FROM herald.send_rates r WHERE r.subscription = c.name FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO herald.send_rates AS r (subscription, next_slot_at) VALUES (c.name, v_now)
      ON CONFLICT (subscription) DO UPDATE SET updated_at = r.updated_at
      RETURNING greatest(r.next_slot_at, v_now) INTO v_first;
    END IF;
    IF rates IS NULL THEN
      rates := array_fill(NULL::float8, ARRAY[cardinality(p_subscriptions)]);
      first_slots := array_fill(NULL::timestamptz, ARRAY[cardinality(p_subscriptions)]);
    END IF;
    rates[c.i] := c.rate;
    first_slots[c.i] := v_first;
    limits[c.i] := CASE
      WHEN v_first > v_now + interval '1 second' THEN 0
      ELSE least(p_limits[c.i], floor(extract(epoch FROM v_now + interval '1 second' - v_first) * c.rate)::integer + 1)
    END;
  END LOOP;
END
$$;
