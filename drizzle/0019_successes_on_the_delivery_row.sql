-- A delivery's successful attempt is kept on the delivery row instead of as a row of its own.
--
-- Why: a success is final (only dead deliveries are replayed, only pending or dead ones are
-- discarded), and completing a delivery already rewrites its row. The separate attempt row cost
-- every delivery an INSERT, three index entries and two statement triggers. Drains with and
-- without that row, back to back on PostgreSQL 15 (bench:engine, 20,000 jobs): database CPU per
-- delivery 56.5–58.5 → 47.5–48 µs, WAL 1,340 → 1,007 bytes (docs/BENCHMARKS.md).
--
-- Readers see no difference: the table becomes `attempt_log` (failures, dead ends, lost leases,
-- and the successes recorded before this migration), and `herald.attempts` is now a view of
-- both, with the same columns. Ids of both come from the one sequence. Nothing indexes the ids
-- of successes (an index would give back a third of the gain): readers find attempts by
-- delivery, by message id or by time (the live feed walks outcomes by finished_at, then id).
-- Consumers in other languages keep calling the same functions.
--
-- Upgrading: deliveries is locked while the check below is validated and the message-id index
-- is built, one pass each (0.5 s for 1,000,000 deliveries on the 2-core test machine). Successes
-- recorded before stay in the attempt log, where the view shows them as before.
ALTER TABLE herald.attempts RENAME TO attempt_log;
--> statement-breakpoint
ALTER TABLE herald.deliveries
  ADD COLUMN success_attempt_id bigint,
  ADD COLUMN success_started_at timestamptz,
  ADD COLUMN success_worker text,
  ADD COLUMN success_result jsonb,
  ADD COLUMN success_manual boolean,
  ADD CONSTRAINT deliveries_success_is_final CHECK (success_attempt_id IS NULL OR state = 'succeeded');
--> statement-breakpoint
-- Webhooks and lookups find the attempt that sent an email by Postmark's MessageID (as
-- attempts_message_id does for the log).
CREATE INDEX deliveries_success_message_id ON herald.deliveries USING btree ((success_result->>'messageId'))
  WHERE (success_result->>'messageId') IS NOT NULL;
--> statement-breakpoint
-- `state = 'succeeded'` is always true where a success is kept (the check above); it is spelt
-- out so that time-window readers (the roll-up) use deliveries_finished.
CREATE VIEW herald.attempts AS
  SELECT l.id, l.delivery_id, l.attempt, l.worker, l.started_at, l.finished_at, l.outcome,
         l.error_code, l.error, l.error_stack, l.result, l.manual, l.next_run_at
  FROM herald.attempt_log l
  UNION ALL
  SELECT d.success_attempt_id, d.id, d.attempts, d.success_worker, d.success_started_at,
         d.finished_at, 'succeeded'::text, NULL::text, NULL::text, NULL::text, d.success_result,
         d.success_manual, NULL::timestamptz
  FROM herald.deliveries d
  WHERE d.success_attempt_id IS NOT NULL AND d.state = 'succeeded';
--> statement-breakpoint
-- An email record points at the attempt that sent it. A key cannot point into a view; the
-- trigger on deleted deliveries below unsets what the key's ON DELETE SET NULL did.
ALTER TABLE herald.email_events DROP CONSTRAINT email_events_attempt_id_attempts_id_fk;
--> statement-breakpoint

-- Links Postmark's records that arrived before the attempt that sent them was recorded (the
-- webhook can beat the worker's write). Called by complete_many for the successes it records
-- and by the trigger on the log for the rest. Same advisory lock as the webhook side
-- (lib/email/webhooks.ts, namespace 1212436548 = 'HERD'), taken in a fixed order so two
-- batches cannot deadlock; the UPDATE after it sees what the other side committed.
CREATE FUNCTION herald.link_email_events_to(p_attempt_ids bigint[], p_delivery_ids bigint[], p_message_ids text[])
RETURNS void
LANGUAGE plpgsql
SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1212436548, hashtext(m.id))
  FROM (SELECT DISTINCT id FROM unnest(p_message_ids) AS id ORDER BY id) m;
  UPDATE herald.email_events e
  SET attempt_id = x.attempt_id, delivery_id = x.delivery_id
  FROM unnest(p_attempt_ids, p_delivery_ids, p_message_ids) AS x(attempt_id, delivery_id, message_id)
  WHERE e.message_id = x.message_id AND e.attempt_id IS NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION herald.link_email_events() RETURNS trigger
LANGUAGE plpgsql
SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  v_attempts bigint[];
  v_deliveries bigint[];
  v_messages text[];
BEGIN
  SELECT array_agg(a.id), array_agg(a.delivery_id), array_agg(a.result->>'messageId')
  INTO v_attempts, v_deliveries, v_messages
  FROM new_attempts a
  WHERE a.result->>'messageId' IS NOT NULL;
  IF v_messages IS NOT NULL THEN
    PERFORM herald.link_email_events_to(v_attempts, v_deliveries, v_messages);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- Record successes on the delivery rows. Returns the deliveries actually completed: one missing
-- from the result was no longer this worker's to complete (rescued, replayed or discarded
-- meanwhile). p_manual: whether each attempt was asked for by a person, as claimed; NULL reads
-- it from the row (manual_next, as the claim saw it).
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
  RETURN QUERY SELECT unnest(v_done);
END
$$;
--> statement-breakpoint

-- Unchanged but for the table it writes (a function body names its tables as text).
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
--> statement-breakpoint

-- Unchanged but for the table it writes.
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
--> statement-breakpoint

CREATE OR REPLACE FUNCTION herald.attempts_need_their_delivery() RETURNS trigger
LANGUAGE plpgsql
SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  v_missing bigint;
BEGIN
  SELECT a.delivery_id INTO v_missing
  FROM new_attempts a
  WHERE NOT EXISTS (SELECT 1 FROM herald.deliveries d WHERE d.id = a.delivery_id)
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'an attempt refers to delivery %, which does not exist', v_missing
      USING ERRCODE = 'foreign_key_violation', TABLE = 'attempt_log', SCHEMA = 'herald';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- Deleted deliveries take their logged attempts with them, and the email records that pointed
-- at any of their attempts (logged or kept on the row) are unlinked, as the dropped key did.
CREATE OR REPLACE FUNCTION herald.delete_attempts_of_deleted_deliveries() RETURNS trigger
LANGUAGE plpgsql
SET jit = off SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
  WITH gone AS (
    DELETE FROM herald.attempt_log a USING old_deliveries d WHERE a.delivery_id = d.id
    RETURNING a.id
  ),
  unlinked AS (
    SELECT id FROM gone
    UNION ALL
    SELECT d.success_attempt_id FROM old_deliveries d WHERE d.success_attempt_id IS NOT NULL
  )
  UPDATE herald.email_events e SET attempt_id = NULL
  FROM unlinked u
  WHERE e.attempt_id = u.id AND e.attempt_id IS NOT NULL;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION herald.truncate_attempts_with_deliveries() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- TRUNCATE is for tests and maintenance windows; to empty everything at once, name
  -- attempt_log in it too.
  DELETE FROM herald.attempt_log;
  RETURN NULL;
END
$$;
