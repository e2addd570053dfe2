-- Claim up to p_limits[i] runnable deliveries of each p_subscriptions[i] for p_worker, with a
-- lease of the subscription's lease_ms. Paused subscriptions yield nothing. Called by
-- worker/queries.ts. One statement: SKIP LOCKED picks rows no one else is claiming, the UPDATE
-- takes them, moving each to 'running' with this lease owner and attempts + 1 (the fence that
-- complete_many, fail_many and release check).
-- The hot functions are PL/pgSQL rather than SQL because PostgreSQL < 18 re-plans SQL function
-- bodies on every call and caches PL/pgSQL plans per session (measured: −7 % per claim).
-- A worker that still has room after a claim stays "waiting" (publishers keep waking it); only
-- a full claim turns the flag off (test/notify.test.ts).
-- Provider circuit breaker (issue #21): while a subscription's circuit is not closed, what it
-- may take is decided by herald.circuit_allowances (nothing while open but one probe at a time;
-- a paced release while half-open). A healthy system pays one probe of the partial index
-- circuits_attention, empty unless some circuit needs attention. Gated subscriptions still count
-- as asked-for when deciding the waiting flag: the worker has room, so publishers keep waking it.
-- Send-rate limits (issue #21 item 4): when a subscription asked for has a rate (the partial index
-- subscriptions_rate_limited, empty unless some subscription is limited) or some circuit needs
-- attention, herald.send_pacing decides how many may be claimed and from which send slot, and
-- herald.claim_paced claims them, handing each delivery send_at_ms, its slot. The plain path
-- below returns NULL there and is otherwise unchanged.
-- Claim floors (issue #22 item 4): p_floors_ms[i] (epoch ms, NULL = none) starts the row search of
-- p_subscriptions[i] at that run_at instead of at the index's beginning. While a snapshot is held
-- open (a forgotten transaction, a long report), no scan may mark the entries of claimed rows
-- dead, and a search from the beginning fetched every delivery claimed since the snapshot began
-- (200 emails/s, 3-minute hold: 14 → 30,000 entries and 0.07 → 70 ms per claim). Claims take
-- rows in run_at order, so the worker passes the latest run_at it claimed less a margin
-- (worker/claim-floor.ts, which also finds the rows a floor can skip: those of a transaction
-- that committed long after it began). run_at_ms returns each claimed row's run_at for it.
-- A caller that passes no floors gets the search from the beginning, as before.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   jit = off: JIT never pays off in a call this short, and a large table's estimates can push
--     it over jit_above_cost: ~17 ms of compiling per call (10 M deliveries: claim + completion
--     1.3 ms → 20 ms; 0009).
--   enable_hashjoin/mergejoin = off: a handful of rows, each by key; on analysed tables with a
--     backlog the planner chose hash joins over whole tables (7 ms per claim at 20,000
--     deliveries, growing with the backlog; 0013). test/claim-plans.test.ts.
--   enable_seqscan = off: generic plans cached while the tables were small (and the foreign-key
--     checks they fire) must still find rows by key once the tables are large (7 ms per delivery
--     at 50,000 events; a 1,000-event HTTP batch took 4–8 s instead of 0.1 s; 0015).
--     test/cached-plans.test.ts.
-- Guarded by: test/claim-plans.test.ts, test/cached-plans.test.ts, test/claim-flat.test.ts
-- (claims as fast with a large history), test/crash.test.ts, test/dlq-race.test.ts,
-- test/circuit-breaker.test.ts, test/send-rate.test.ts.
CREATE OR REPLACE FUNCTION herald.claim_many(
  p_worker text,
  p_subscriptions text[],
  p_limits integer[],
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
DECLARE
  v_limits integer[] := p_limits;
  v_rates float8[];
  v_first_slots timestamptz[];
BEGIN
  IF EXISTS (SELECT 1 FROM herald.circuits c
             WHERE c.state <> 'closed' AND c.subscription = ANY(p_subscriptions)) THEN
    v_limits := herald.circuit_allowances(p_subscriptions, p_limits);
    SELECT p.limits, p.rates, p.first_slots INTO v_limits, v_rates, v_first_slots
    FROM herald.send_pacing(p_subscriptions, v_limits) p;
  ELSIF EXISTS (SELECT 1 FROM herald.subscriptions s
                WHERE (s.rate_per_second IS NOT NULL OR s.rate_override IS NOT NULL)
                  AND s.name = ANY(p_subscriptions)) THEN
    SELECT p.limits, p.rates, p.first_slots INTO v_limits, v_rates, v_first_slots
    FROM herald.send_pacing(p_subscriptions, v_limits) p;
  END IF;
  IF v_rates IS NOT NULL THEN
    RETURN QUERY SELECT * FROM herald.claim_paced(p_worker, p_subscriptions, v_limits, p_limits, v_rates, v_first_slots, p_floors_ms);
    RETURN;
  END IF;
  RETURN QUERY
  WITH wanted AS (
    SELECT s.name, w.lim, w.asked, s.lease_ms,
           coalesce(to_timestamp(w.floor_ms / 1000), '-infinity') AS floor_at
    FROM unnest(p_subscriptions, v_limits, p_limits, p_floors_ms) AS w(name, lim, asked, floor_ms)
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
  -- A worker that still has room after this claim stays "waiting" (publishers keep waking it);
  -- only a full claim, meaning it is busy, turns the flag off.
  awake AS (
    UPDATE herald.workers w SET waiting = false
    WHERE w.id = p_worker AND w.waiting
      AND (SELECT count(*) FROM claimed) >= (SELECT coalesce(sum(asked), 0) FROM wanted)
  )
  SELECT c.id, c.subscription, c.attempts, c.manual_next, c.lease_expires_at,
         e.id, e.channel, e.payload, e.key, e.created_at, NULL::float8, NULL::float8,
         extract(epoch FROM c.run_at)::float8 * 1000
  FROM claimed c
  JOIN herald.events e ON e.id = c.event_id;
END
$$;
