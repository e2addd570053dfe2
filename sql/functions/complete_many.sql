-- Record successes on the delivery rows (the `success_*` columns; herald.attempts shows them).
-- Returns the deliveries actually completed: one missing from the result was no longer this
-- worker's to complete (rescued, replayed or discarded meanwhile). p_manual: whether each
-- attempt was asked for by a person, as claimed; NULL reads it from the row (manual_next, as the
-- claim saw it). Called by worker/queries.ts, batched.
-- Why on the row (0019): a success is final, and completing already rewrites the row. A
-- separate attempt row cost every delivery an INSERT, three index entries and two statement
-- triggers: database CPU per delivery 56.5–58.5 → 47.5–48 µs, WAL 1,340 → 1,007 bytes
-- (bench:engine, 20,000 jobs, PostgreSQL 15; docs/BENCHMARKS.md).
-- Why the fence is compared with columns of the materialised input (0016): written as conditions
-- on `deliveries` alone, the planner could read it as a filter and loop over the running
-- deliveries with the whole batch rescanned for each: 33 s to complete 3,000 deliveries with
-- 20,000 running. As a join condition, each delivery is probed by its primary key.
-- Postmark records that arrived before this success are linked through link_email_events_to.
-- Provider circuit breaker (issue #21): a success breaks a run of provider failures, and ends an
-- outage (herald.circuit_successes). Only asked when some circuit needs attention: a healthy
-- system pays one probe of the partial index circuits_attention, which is empty.
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
-- Guarded by: test/batch-plans.test.ts, test/claim-plans.test.ts, test/cached-plans.test.ts,
-- test/attempts-follow-deliveries.test.ts, test/webhooks.test.ts, test/chaos.test.ts,
-- test/circuit-breaker.test.ts.
CREATE OR REPLACE FUNCTION herald.complete_many(
  p_worker text,
  p_ids bigint[],
  p_attempts integer[],
  p_started_at timestamptz[],
  p_results jsonb[],
  p_manual boolean[] DEFAULT NULL
) RETURNS TABLE (delivery_id bigint)
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
  v_done bigint[];
  v_sent_attempts bigint[];
  v_sent_deliveries bigint[];
  v_sent_messages text[];
BEGIN
  -- The fence (state 'running', this worker's lease, this attempt) is compared with columns of
  -- the materialised input so that it is a join condition: each delivery probed by its key
  -- (migration 0016).
  WITH input AS MATERIALIZED (
    SELECT x.*, 'running'::text AS fence_state, p_worker AS fence_owner
    FROM unnest(p_ids, p_attempts, p_started_at, p_results, p_manual)
      AS x(id, attempt, started_at, result, manual)
  ),
  done AS (
    UPDATE herald.deliveries d
    SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
        manual_next = false, finished_at = now(), updated_at = now(),
        success_attempt_id = nextval('herald.attempts_id_seq'),
        success_started_at = coalesce(input.started_at, d.claimed_at, now()),
        success_worker = p_worker,
        success_result = input.result,
        success_manual = coalesce(input.manual, d.manual_next)
    FROM input
    WHERE d.id = input.id AND d.state = input.fence_state AND d.lease_owner = input.fence_owner
      AND d.attempts = input.attempt
    RETURNING d.id, d.success_attempt_id, d.success_result->>'messageId' AS message_id
  )
  SELECT array_agg(done.id),
         array_agg(done.success_attempt_id) FILTER (WHERE done.message_id IS NOT NULL),
         array_agg(done.id) FILTER (WHERE done.message_id IS NOT NULL),
         array_agg(done.message_id) FILTER (WHERE done.message_id IS NOT NULL)
  INTO v_done, v_sent_attempts, v_sent_deliveries, v_sent_messages
  FROM done;
  IF v_sent_messages IS NOT NULL THEN
    PERFORM herald.link_email_events_to(v_sent_attempts, v_sent_deliveries, v_sent_messages);
  END IF;
  IF v_done IS NOT NULL AND EXISTS (SELECT 1 FROM herald.circuits c WHERE c.state <> 'closed' OR c.failures > 0) THEN
    PERFORM herald.circuit_successes(ARRAY(
      SELECT DISTINCT d.subscription FROM herald.deliveries d WHERE d.id = ANY(v_done)));
  END IF;
  RETURN QUERY SELECT unnest(v_done);
END
$$;
