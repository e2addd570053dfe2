-- Trigger function (triggers/attempts_link_email_events.sql): Postmark (and the sandbox) can
-- post a webhook before the worker has recorded the attempt that sent the email. Such records
-- are stored unlinked; this links them as soon as a logged attempt appears (successes kept on
-- the delivery row are linked by complete_many). Without a lock, a webhook stored while its
-- attempt commits sees no attempt and this trigger sees no webhook: measured 1 record in 200
-- left unlinked (0002); link_email_events_to takes the lock both sides share.
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
--   (one index probe per attempt, 0015)
-- Guarded by: test/webhooks.test.ts ("keeps records for unknown message ids aside, and links
-- them when the attempt appears").
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
