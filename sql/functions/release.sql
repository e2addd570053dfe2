-- Give back claimed deliveries whose handler never started (a worker shutting down with a
-- prefetched batch). They were not attempted, so no attempt is counted or recorded. Fenced like
-- complete_many: the fence is compared with columns of the materialised input, so that each
-- delivery is probed by key (0016). Called by worker/queries.ts.
-- Settings (CREATE OR REPLACE drops every SET it does not name: keep them all here):
--   enable_hashjoin/mergejoin = off: a handful of rows, each by key; on analysed tables with a
--     backlog the planner chose hash joins over whole tables (7 ms per claim at 20,000
--     deliveries, growing with the backlog; 0013). test/claim-plans.test.ts.
--   enable_seqscan = off: generic plans cached while the tables were small (and the foreign-key
--     checks they fire) must still find rows by key once the tables are large (7 ms per delivery
--     at 50,000 events; a 1,000-event HTTP batch took 4–8 s instead of 0.1 s; 0015).
--     test/cached-plans.test.ts.
-- Guarded by: test/worker-lifecycle.test.ts, test/batch-plans.test.ts, test/claim-plans.test.ts.
CREATE OR REPLACE FUNCTION herald.release(p_worker text, p_ids bigint[], p_attempts integer[]) RETURNS integer
LANGUAGE sql SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
  WITH input AS MATERIALIZED (
    SELECT x.*, 'running'::text AS fence_state, p_worker AS fence_owner
    FROM unnest(p_ids, p_attempts) AS x(id, attempt)
  ),
  released AS (
    UPDATE herald.deliveries d
    SET state = 'pending', attempts = d.attempts - 1, lease_owner = NULL, lease_expires_at = NULL,
        claimed_at = NULL, run_at = now(), updated_at = now()
    FROM input
    WHERE d.id = input.id AND d.state = input.fence_state AND d.lease_owner = input.fence_owner
      AND d.attempts = input.attempt
    RETURNING 1
  )
  SELECT count(*)::integer FROM released
$$;
