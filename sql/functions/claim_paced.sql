-- claim_many's path for subscriptions with a send rate (issue #21 item 4) or a circuit that needs
-- attention: the same claim, with p_limits already cut by circuit_allowances and send_pacing
-- (p_asked is what the worker asked for, for the waiting flag), plus the send slots. The
-- deliveries of a paced subscription are numbered; the n-th gets the slot
-- p_first_slots[i] + (n − 1)/rate as send_at_ms (epoch ms, the database's clock), and
-- herald.send_rates.next_slot_at moves past the slots used (its row was locked by send_pacing in
-- this transaction). Unpaced subscriptions in the same call get NULL.
-- db_now_ms is now() (the transaction's start, on the database's clock): a moment between the
-- worker sending the claim and receiving its answer, from which the worker learns how its own
-- clock stands to the database's (worker/send-slot.ts) without trusting either to be set right.
-- Kept apart from claim_many so that the unlimited path carries no window function or extra
-- join (npm run bench:engine, docs/BENCHMARKS.md).
-- p_floors_ms and run_at_ms: the claim floors of claim_many, which see.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit, hash and merge joins, sequential scans off, as in claim_many (0009, 0013, 0015).
-- Guarded by: test/send-rate.test.ts, test/circuit-breaker.test.ts.
CREATE OR REPLACE FUNCTION herald.claim_paced(
  p_worker text,
  p_subscriptions text[],
  p_limits integer[],
  p_asked integer[],
  p_rates float8[],
  p_first_slots timestamptz[],
  p_floors_ms float8[] DEFAULT NULL
)
RETURNS TABLE (
  delivery_id bigint,
  subscription text,
  attempt integer,
  manual boolean,
  lease_expires_at timestamptz,
  event_id bigint,
  channel text,
  payload jsonb,
  key text,
  published_at timestamptz,
  send_at_ms float8,
  db_now_ms float8,
  run_at_ms float8
)
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH wanted AS (
    SELECT s.name, w.lim, w.asked, s.lease_ms, w.rate, w.first_slot,
           coalesce(to_timestamp(w.floor_ms / 1000), '-infinity') AS floor_at
    FROM unnest(p_subscriptions, p_limits, p_asked, p_rates, p_first_slots, p_floors_ms)
         AS w(name, lim, asked, rate, first_slot, floor_ms)
    JOIN herald.subscriptions s ON s.name = w.name
    WHERE NOT s.paused AND w.asked > 0
  ),
  picked AS (
    SELECT p.id, wanted.lease_ms
    FROM wanted
    CROSS JOIN LATERAL (
      SELECT d.id FROM herald.deliveries d
      WHERE d.subscription = wanted.name AND d.state = 'pending'
        AND d.run_at >= wanted.floor_at AND d.run_at <= now()
      ORDER BY d.run_at, d.id
      LIMIT wanted.lim
      FOR UPDATE SKIP LOCKED
    ) p
  ),
  claimed AS (
    UPDATE herald.deliveries d
    SET state = 'running',
        attempts = d.attempts + 1,
        lease_owner = p_worker,
        claimed_at = now(),
        lease_expires_at = now() + picked.lease_ms * interval '1 millisecond',
        updated_at = now()
    FROM picked
    WHERE d.id = picked.id
    RETURNING d.id, d.subscription, d.attempts, d.manual_next, d.lease_expires_at, d.event_id, d.run_at
  ),
  numbered AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.subscription ORDER BY c.id) AS n FROM claimed c
  ),
  slots_used AS (
    UPDATE herald.send_rates r
    SET next_slot_at = w.first_slot + used.n / w.rate * interval '1 second', updated_at = now()
    FROM (SELECT c.subscription, count(*) AS n FROM claimed c GROUP BY c.subscription) used
    JOIN wanted w ON w.name = used.subscription
    WHERE r.subscription = used.subscription AND w.rate IS NOT NULL
  ),
  awake AS (
    UPDATE herald.workers w SET waiting = false
    WHERE w.id = p_worker AND w.waiting
      AND (SELECT count(*) FROM claimed) >= (SELECT coalesce(sum(asked), 0) FROM wanted)
  )
  SELECT c.id, c.subscription, c.attempts, c.manual_next, c.lease_expires_at,
         e.id, e.channel, e.payload, e.key, e.created_at,
         CASE WHEN w.rate IS NOT NULL
              THEN extract(epoch FROM w.first_slot)::float8 * 1000 + (c.n - 1) * 1000 / w.rate END,
         CASE WHEN w.rate IS NOT NULL THEN extract(epoch FROM now())::float8 * 1000 END,
         extract(epoch FROM c.run_at)::float8 * 1000
  FROM numbered c
  JOIN wanted w ON w.name = c.subscription
  JOIN herald.events e ON e.id = c.event_id;
END
$$;
