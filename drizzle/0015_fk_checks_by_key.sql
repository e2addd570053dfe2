-- Plans cached while the tables were small must not read whole tables once they are large.
-- PostgreSQL caches a generic plan per connection after five executions of a statement, and
-- keeps it until the table's statistics change (an ANALYZE: autovacuum in production, never on
-- a server where it is off). The foreign-key checks that every write makes (a delivery's event,
-- an attempt's delivery) are such statements: planned while `events` held a few rows, the check
-- became a sequential scan, and stayed one as the table grew. Measured: 7 ms per delivery at
-- 50,000 events, and a 1,000-event batch over HTTP took 4–8 s instead of 0.1 s on connections
-- that had published single events since the tables were empty (bench:api's "stall"). The
-- functions' own statements are cached the same way (roll_up counting a window of `events`,
-- the claim finding runnable rows). Everything below finds its rows by key; with sequential
-- scans off inside these functions, the checks they fire and their own statements are planned
-- on the indexes whatever the table held when the connection first ran them.
-- test/claim-plans.test.ts: "plans cached while the tables were small".
ALTER FUNCTION herald.publish_one(text, jsonb, text, text, timestamptz, text, boolean) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.publish(text, jsonb, text, text, timestamptz, text) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.fan_out_events() SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.claim_many(text, text[], integer[]) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.complete_many(text, bigint[], integer[], timestamptz[], jsonb[], boolean[]) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.fail_many(text, bigint[], integer[], timestamptz[], text[], text[], text[], bigint[], boolean[], jsonb[]) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.heartbeat(text, bigint[]) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.release(text, bigint[], integer[]) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.rescue_expired(integer) SET enable_seqscan = off;
--> statement-breakpoint
-- The one-row forms for consumers in other languages write the same rows.
ALTER FUNCTION herald.claim(text, text, integer) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.complete(text, bigint, integer, jsonb) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION herald.fail(text, bigint, integer, text, bigint, boolean, text) SET enable_seqscan = off;
--> statement-breakpoint
-- Links Postmark's records to each recorded attempt by message id: one index probe per attempt.
ALTER FUNCTION herald.link_email_events() SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
-- Every second: a few seconds' window of events and attempts, by their time indexes, each
-- attempt's delivery by key (a hash join would read all of `deliveries` every second).
ALTER FUNCTION herald.roll_up(interval) SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
-- Retention: expired rows by their time indexes; the cascades by the foreign-key indexes
-- (email_events_attempt below is the one that was missing).
ALTER FUNCTION herald.prune_history(interval, interval, integer) SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
CREATE INDEX "email_events_attempt" ON "herald"."email_events" USING btree ("attempt_id") WHERE "herald"."email_events"."attempt_id" IS NOT NULL;
