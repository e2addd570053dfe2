-- Record failures in the attempt log. A failure is retried after p_retry_after_ms when given (a
-- provider's Retry-After, at most 24 h), else after the subscription's backoff (backoff_ms); it
-- is dead at once when permanent or when the retry budget (max_attempts since the last replay)
-- is spent. Fenced on state 'running', this worker's lease and this attempt, compared with
-- columns of the materialised `decided` so that the fence is a join condition (0016: 33 s for
-- 3,000 outcomes with 20,000 running as a filter). What the attempt row needs comes back in
-- RETURNING: joining `updated` back to `decided` would be a nested loop over both (hash joins
-- are off), 9 million comparisons for 3,000 outcomes. Called by worker/queries.ts, batched.
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
-- Guarded by: test/retry.test.ts, test/batch-plans.test.ts, test/claim-plans.test.ts,
-- test/cached-plans.test.ts, test/refused-outcomes.test.ts, test/hostile-outcomes.test.ts.
CREATE OR REPLACE FUNCTION herald.fail_many(
  p_worker text,
  p_ids bigint[],
  p_attempts integer[],
  p_started_at timestamptz[],
  p_errors text[],
  p_stacks text[],
  p_codes text[],
  p_retry_after_ms bigint[],
  p_permanent boolean[],
  p_results jsonb[]
) RETURNS TABLE (delivery_id bigint, outcome text, next_run_at timestamptz)
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_attempts, p_started_at, p_errors, p_stacks, p_codes,
                         p_retry_after_ms, p_permanent, p_results)
      AS x(id, attempt, started_at, error, stack, code, retry_after_ms, permanent, result)
  ),
  decided AS MATERIALIZED (
    SELECT input.*, prev.manual_next AS was_manual, prev.claimed_at,
           'running'::text AS fence_state, p_worker AS fence_owner,
           (coalesce(input.permanent, false)
             OR prev.attempts - prev.attempts_before_replay >= s.max_attempts) AS is_dead,
           now() + least(CASE WHEN input.retry_after_ms IS NOT NULL THEN greatest(input.retry_after_ms, 0)
                              ELSE herald.backoff_ms(prev.attempts - prev.attempts_before_replay,
                                                     s.backoff_base_ms, s.backoff_max_ms) END,
                         86400000) * interval '1 millisecond' AS next_run
    FROM input
    JOIN herald.deliveries prev ON prev.id = input.id
    JOIN herald.subscriptions s ON s.name = prev.subscription
  ),
  updated AS (
    UPDATE herald.deliveries d
    SET state = CASE WHEN decided.is_dead THEN 'dead' ELSE 'pending' END,
        run_at = CASE WHEN decided.is_dead THEN d.run_at ELSE decided.next_run END,
        finished_at = CASE WHEN decided.is_dead THEN now() END,
        lease_owner = NULL, lease_expires_at = NULL, manual_next = false,
        last_error = left(decided.error, 2000), updated_at = now()
    FROM decided
    WHERE d.id = decided.id AND d.state = decided.fence_state AND d.lease_owner = decided.fence_owner
      AND d.attempts = decided.attempt
    -- What the attempt row needs comes along here: joining `updated` back to `decided` would be
    -- a nested loop over both (hash joins are off), 9 million comparisons for 3,000 outcomes.
    RETURNING d.id, d.attempts, d.state, decided.started_at, decided.claimed_at, decided.code,
              decided.error, decided.stack, decided.result, decided.was_manual, decided.next_run
  )
  INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, outcome, error_code, error,
                                  error_stack, result, manual, next_run_at)
  SELECT u.id, u.attempts, p_worker, coalesce(u.started_at, u.claimed_at, now()),
         CASE WHEN u.state = 'dead' THEN 'dead' ELSE 'failed' END,
         u.code, left(u.error, 10000), left(u.stack, 20000), u.result,
         u.was_manual, CASE WHEN u.state = 'pending' THEN u.next_run END
  FROM updated u
  RETURNING delivery_id, outcome, next_run_at;
END
$$;
