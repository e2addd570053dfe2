-- Return expired leases (a crashed, frozen or disconnected worker) to the queue, recording the
-- lost attempt, or `dead` when the retry budget is spent. Safe to run from every worker at once
-- (SKIP LOCKED); fenced on the lease still being expired, so a completion that won the race
-- stands. Also forgets workers silent for two minutes. Called by worker/queries.ts every 2 s.
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
-- Guarded by: test/crash.test.ts, test/sql-consumer.test.ts ("returns an expired lease to the
-- queue and counts the lost attempt"), test/claim-plans.test.ts, test/cached-plans.test.ts.
CREATE OR REPLACE FUNCTION herald.rescue_expired(p_limit integer DEFAULT 1000) RETURNS integer
LANGUAGE sql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
  WITH expired AS (
    SELECT d.id FROM herald.deliveries d
    WHERE d.state = 'running' AND d.lease_expires_at < now()
    ORDER BY d.lease_expires_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  ),
  decided AS (
    SELECT prev.id, prev.lease_owner, prev.claimed_at, prev.manual_next,
           prev.attempts - prev.attempts_before_replay >= s.max_attempts AS is_dead
    FROM expired
    JOIN herald.deliveries prev ON prev.id = expired.id
    JOIN herald.subscriptions s ON s.name = prev.subscription
  ),
  rescued AS (
    UPDATE herald.deliveries d
    SET state = CASE WHEN decided.is_dead THEN 'dead' ELSE 'pending' END,
        run_at = now(),
        finished_at = CASE WHEN decided.is_dead THEN now() END,
        lease_owner = NULL, lease_expires_at = NULL, manual_next = false,
        last_error = 'lease expired: worker ' || decided.lease_owner || ' stopped responding',
        updated_at = now()
    FROM decided
    WHERE d.id = decided.id AND d.state = 'running' AND d.lease_expires_at < now()
    RETURNING d.id, d.attempts, d.state, d.last_error
  ),
  recorded AS (
    INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, outcome, error_code, error, manual)
    SELECT r.id, r.attempts, decided.lease_owner, coalesce(decided.claimed_at, now()),
           CASE WHEN r.state = 'dead' THEN 'dead' ELSE 'lost' END, 'lease_expired', r.last_error,
           decided.manual_next
    FROM rescued r JOIN decided ON decided.id = r.id
    RETURNING 1
  ),
  forgotten AS (
    -- Workers silent for two minutes are gone; their stale `waiting` flag would make every
    -- publisher NOTIFY for nothing.
    DELETE FROM herald.workers WHERE last_heartbeat_at < now() - interval '2 minutes'
  )
  SELECT count(*)::integer FROM recorded
$$;
