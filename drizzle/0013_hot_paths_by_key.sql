-- The delivery functions touch a bounded handful of rows, each found by key. Once a table with
-- a backlog has been analysed (autovacuum does it), the planner cannot see that: a claim's
-- LIMIT comes from a parameter, so it assumes a tenth of the pending rows, and it planned a
-- one-row claim as hash joins over the whole deliveries and events tables (7 ms per claim at
-- 20,000 deliveries, growing with the backlog, so a worker slowed down exactly while draining
-- an outage's backlog). Nested loops over the indexes are right at every size here: turn the
-- other join methods off for these functions only. test/claim-plans.test.ts holds them to it.
ALTER FUNCTION herald.claim_many(text, text[], integer[]) SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
ALTER FUNCTION herald.complete_many(text, bigint[], integer[], timestamptz[], jsonb[], boolean[]) SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
ALTER FUNCTION herald.fail_many(text, bigint[], integer[], timestamptz[], text[], text[], text[], bigint[], boolean[], jsonb[]) SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
ALTER FUNCTION herald.heartbeat(text, bigint[]) SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
ALTER FUNCTION herald.release(text, bigint[], integer[]) SET enable_hashjoin = off SET enable_mergejoin = off;
--> statement-breakpoint
ALTER FUNCTION herald.rescue_expired(integer) SET enable_hashjoin = off SET enable_mergejoin = off;
