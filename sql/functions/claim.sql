-- The single-subscription form of herald.claim_many, for consumers written in other languages:
-- SELECT * FROM herald.claim('my-worker', 'send-order-email', 10);
-- send_at_ms: when the subscription has a send rate (issue #21 item 4), the delivery's send slot
-- in epoch milliseconds on the database's clock (db_now_ms is that clock during the claim): start
-- it then, not before, and give it back (herald.release) rather than start it much later
-- (worker/send-slot.ts). NULL for both otherwise.
-- PL/pgSQL rather than SQL since send_at_ms was added: a SQL body is checked against claim_many's
-- result type when created, which would tie every change of claim_many's columns to a migration
-- written by hand (sql/README.md); PL/pgSQL checks it when called.
-- Without claim floors (claim_many's p_floors_ms): each claim searches from the beginning.
-- Settings: enable_seqscan = off, as claim_many (0015): the one-row forms write the same rows.
-- Guarded by: test/sql-consumer.test.ts.
CREATE OR REPLACE FUNCTION herald.claim(p_worker text, p_subscription text, p_limit integer DEFAULT 1)
RETURNS TABLE (
  delivery_id bigint,
  subscription text,
  attempt integer,
  manual boolean,
  lease_expires_at timestamptz,
  event_id bigint,
  channel text,
  payload jsonb,
  key text,
  published_at timestamptz,
  send_at_ms float8,
  db_now_ms float8
)
LANGUAGE plpgsql
SET enable_seqscan = off AS $$
BEGIN
  RETURN QUERY
  SELECT c.delivery_id, c.subscription, c.attempt, c.manual, c.lease_expires_at, c.event_id, c.channel,
         c.payload, c.key, c.published_at, c.send_at_ms, c.db_now_ms
  FROM herald.claim_many(p_worker, ARRAY[p_subscription], ARRAY[p_limit]) c;
END
$$;
