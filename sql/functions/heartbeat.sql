-- Extend the leases a worker still holds and record its heartbeat. Returns the deliveries whose
-- lease was extended; any other in p_ids was taken from this worker (the worker aborts its
-- handler). Called by worker/queries.ts every third of the lease.
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
-- Guarded by: test/claim-plans.test.ts, test/cached-plans.test.ts, test/crash.test.ts.
CREATE OR REPLACE FUNCTION herald.heartbeat(p_worker text, p_ids bigint[]) RETURNS TABLE (delivery_id bigint)
LANGUAGE sql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
  WITH beat AS (
    UPDATE herald.workers SET last_heartbeat_at = now() WHERE id = p_worker
  )
  UPDATE herald.deliveries d
  SET lease_expires_at = now() + s.lease_ms * interval '1 millisecond'
  FROM herald.subscriptions s
  WHERE d.id = ANY(p_ids) AND d.state = 'running' AND d.lease_owner = p_worker
    AND s.name = d.subscription
  RETURNING d.id
$$;
