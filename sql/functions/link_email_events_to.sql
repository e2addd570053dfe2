-- Links Postmark's records that arrived before the attempt that sent them was recorded (the
-- webhook can beat the worker's write). Called by complete_many for the successes it records
-- and by the trigger on the log for the rest. Same advisory lock as the webhook side
-- (lib/email/webhooks.ts, namespace 1212436548 = 'HERD'), taken in a fixed order so two
-- batches cannot deadlock; the UPDATE after it sees what the other side committed. Each
-- message id belongs to one attempt, so batches never contend.
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
-- Guarded by: test/webhooks.test.ts, test/attempts-follow-deliveries.test.ts.
CREATE OR REPLACE FUNCTION herald.link_email_events_to(p_attempt_ids bigint[], p_delivery_ids bigint[], p_message_ids text[])
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
