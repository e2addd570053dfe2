-- Trigger function (triggers/deliveries_take_their_attempts.sql): what ON DELETE CASCADE and
-- ON DELETE SET NULL did before the keys were dropped (0018, 0019). Deleted deliveries
-- (retention, a deleted subscription or event cascading) take their logged attempts with them,
-- and the email records that pointed at any of their attempts (logged or kept on the row) are
-- unlinked. A delivery cannot be deleted between its outcome's UPDATE and COMMIT (the UPDATE
-- holds its row lock; the DELETE waits, then sees the committed attempt and removes it).
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
-- Guarded by: test/attempts-follow-deliveries.test.ts (races it for real).
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
