-- Trigger function (triggers/attempts_need_their_delivery.sql, attempts_keep_their_delivery.sql):
-- the attempt log's foreign key to deliveries, checked once per statement instead of per row.
-- The key's check ran for every attempt and took a KEY SHARE lock on its delivery, with a WAL
-- record, although the statement writing the attempt had just updated (and locked) that very
-- delivery. Claiming and completing 500 deliveries in one transaction (pgbench, rolled back, six
-- alternating runs): 27.6 ms with the key, 24.2 ms with the triggers (medians) — about 7 µs, 12 %,
-- less database time per delivery (0018). An attempt whose delivery does not exist is refused
-- with foreign_key_violation, whoever inserts it: one anti-join per statement.
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
-- Guarded by: test/attempts-follow-deliveries.test.ts.
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
