-- Record failures in the attempt log. A failure is retried after p_retry_after_ms when given (a
-- provider's Retry-After, at most 24 h), else after the subscription's backoff (backoff_ms); it
-- is dead at once when permanent or when the retry budget (max_attempts since the last replay)
-- is spent. Fenced on state 'running', this worker's lease and this attempt, compared with
-- columns of the materialised `decided` so that the fence is a join condition (0016: 33 s for
-- 3,000 outcomes with 20,000 running as a filter). What the attempt row needs comes back in
-- RETURNING: joining `updated` back to `decided` would be a nested loop over both (hash joins
-- are off), 9 million comparisons for 3,000 outcomes. Called by worker/queries.ts, batched.
-- Provider circuit breaker (issue #21): p_unavailable[i] marks a failure on the provider's side
-- (maintenance, 5xx, 429, timeout: lib/subscriptions/errors.ts ProviderUnavailableError). Those
-- still this worker's to record (the same fence, checked under a row lock so that what is counted
-- is what is then written) are counted by herald.circuit_failures; when it answers that the
-- subscription's circuit is open, they are *held*: back to pending, runnable now (claims hold
-- them back until the circuit lets them through), with the attempt logged (outcome 'failed',
-- no next_run_at) but not spent: attempts_before_replay, "attempts that do not count against the
-- budget", goes up with attempts, so neither the budget nor the backoff moves. A permanent
-- failure is never held.
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
-- test/cached-plans.test.ts, test/refused-outcomes.test.ts, test/hostile-outcomes.test.ts,
-- test/circuit-breaker.test.ts.
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
  p_results jsonb[],
  p_unavailable boolean[] DEFAULT NULL
) RETURNS TABLE (delivery_id bigint, outcome text, next_run_at timestamptz)
LANGUAGE plpgsql
SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
  v_holding text[] := '{}';
  v_subscriptions text[];
  v_counts integer[];
BEGIN
  IF true = ANY(p_unavailable) THEN
    SELECT array_agg(f.subscription ORDER BY f.subscription), array_agg(f.n ORDER BY f.subscription)
    INTO v_subscriptions, v_counts
    FROM (
      SELECT locked.subscription, count(*)::integer AS n
      FROM (
        SELECT d.subscription
        FROM (SELECT x.*, 'running'::text AS fence_state, p_worker AS fence_owner
              FROM unnest(p_ids, p_attempts, p_unavailable, p_permanent) AS x(id, attempt, unavailable, permanent)
              OFFSET 0) x
        JOIN herald.deliveries d ON d.id = x.id AND d.state = x.fence_state AND d.lease_owner = x.fence_owner
          AND d.attempts = x.attempt
        WHERE x.unavailable AND NOT coalesce(x.permanent, false)
        ORDER BY d.id
        FOR UPDATE OF d
      ) locked
      GROUP BY locked.subscription
    ) f;
    IF v_subscriptions IS NOT NULL THEN
      v_holding := herald.circuit_failures(v_subscriptions, v_counts,
        (SELECT e FROM unnest(p_errors, p_unavailable) AS u(e, un) WHERE u.un LIMIT 1));
    END IF;
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_attempts, p_started_at, p_errors, p_stacks, p_codes,
                         p_retry_after_ms, p_permanent, p_results,
                         coalesce(p_unavailable, array_fill(false, ARRAY[cardinality(p_ids)])))
      AS x(id, attempt, started_at, error, stack, code, retry_after_ms, permanent, result, unavailable)
  ),
  decided AS MATERIALIZED (
    SELECT input.*, prev.manual_next AS was_manual, prev.claimed_at,
           'running'::text AS fence_state, p_worker AS fence_owner, held.held,
           (NOT held.held AND (coalesce(input.permanent, false)
             OR prev.attempts - prev.attempts_before_replay >= s.max_attempts)) AS is_dead,
           now() + least(CASE WHEN held.held THEN 0
                              WHEN input.retry_after_ms IS NOT NULL THEN greatest(input.retry_after_ms, 0)
                              ELSE herald.backoff_ms(prev.attempts - prev.attempts_before_replay,
                                                     s.backoff_base_ms, s.backoff_max_ms) END,
                         86400000) * interval '1 millisecond' AS next_run
    FROM input
    JOIN herald.deliveries prev ON prev.id = input.id
    JOIN herald.subscriptions s ON s.name = prev.subscription
    CROSS JOIN LATERAL (
      SELECT (coalesce(input.unavailable, false) AND NOT coalesce(input.permanent, false)
              AND prev.subscription = ANY(v_holding)) AS held
    ) held
  ),
  updated AS (
    UPDATE herald.deliveries d
    SET state = CASE WHEN decided.is_dead THEN 'dead' ELSE 'pending' END,
        run_at = CASE WHEN decided.is_dead THEN d.run_at ELSE decided.next_run END,
        attempts_before_replay = d.attempts_before_replay + CASE WHEN decided.held THEN 1 ELSE 0 END,
        finished_at = CASE WHEN decided.is_dead THEN now() END,
        lease_owner = NULL, lease_expires_at = NULL, manual_next = false,
        last_error = left(decided.error, 2000), updated_at = now()
    FROM decided
    WHERE d.id = decided.id AND d.state = decided.fence_state AND d.lease_owner = decided.fence_owner
      AND d.attempts = decided.attempt
    -- What the attempt row needs comes along here: joining `updated` back to `decided` would be
    -- a nested loop over both (hash joins are off), 9 million comparisons for 3,000 outcomes.
    RETURNING d.id, d.attempts, d.state, decided.started_at, decided.claimed_at, decided.code,
              decided.error, decided.stack, decided.result, decided.was_manual, decided.next_run,
              decided.held
  )
  INSERT INTO herald.attempt_log (delivery_id, attempt, worker, started_at, outcome, error_code, error,
                                  error_stack, result, manual, next_run_at)
  SELECT u.id, u.attempts, p_worker, coalesce(u.started_at, u.claimed_at, now()),
         CASE WHEN u.state = 'dead' THEN 'dead' ELSE 'failed' END,
         u.code, left(u.error, 10000), left(u.stack, 20000), u.result,
         u.was_manual, CASE WHEN u.state = 'pending' AND NOT u.held THEN u.next_run END
  FROM updated u
  RETURNING delivery_id, outcome, next_run_at;
END
$$;
