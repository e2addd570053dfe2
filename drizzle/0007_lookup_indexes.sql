-- Lookup and the dead-letter queue (issue 7), fast at ten million events.
--
-- Support staff search by a customer's email, which lives in the payload: order.approved has
-- customer.email, email.send has `to`. Expression indexes (lower-cased, as the lookup compares)
-- make each a single index probe instead of a scan of every payload. Partial on NOT NULL so
-- events of other channels cost nothing. orderId likewise, for "1042" typed without `order:`.
CREATE INDEX IF NOT EXISTS "events_customer_email" ON "herald"."events" (lower("payload"->'customer'->>'email'))
  WHERE lower("payload"->'customer'->>'email') IS NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "events_recipient" ON "herald"."events" (lower("payload"->>'to'))
  WHERE lower("payload"->>'to') IS NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "events_order_id" ON "herald"."events" (("payload"->>'orderId'))
  WHERE ("payload"->>'orderId') IS NOT NULL;--> statement-breakpoint
-- "Rejected: the recipient is inactive (hard bounce on …)": the latest bounce or complaint for an
-- address. Only those two record types, so the index stays small beside Delivery/Open/Click.
CREATE INDEX IF NOT EXISTS "email_events_suppression" ON "herald"."email_events" (lower("recipient"), "occurred_at")
  WHERE "record_type" IN ('Bounce', 'SpamComplaint');--> statement-breakpoint
-- The dead-letter queue newest first across subscriptions (keyset on finished_at, id) and its
-- time windows; deliveries_dead serves the per-subscription case. Only dead rows are in it.
CREATE INDEX IF NOT EXISTS "deliveries_dead_finished" ON "herald"."deliveries" ("finished_at" DESC, "id" DESC)
  WHERE "state" = 'dead';
