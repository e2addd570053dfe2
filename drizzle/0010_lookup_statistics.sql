-- The lookup indexes of 0007 are partial, and PostgreSQL keeps no usable statistics for the
-- expressions of a partial index: it guessed 0.5 % of all events per email address or order id
-- (50,000 rows at ten million events instead of ~25). That guess made each probe look costly
-- enough to pass jit_above_cost, and JIT compilation then cost 4–30 ms per probe, several per
-- lookup (measured: email lookup p95 214 ms at 10 M events). Expression statistics give the
-- planner the real number of rows per value.
CREATE STATISTICS IF NOT EXISTS "herald"."events_lookup_values"
  ON (lower("payload"->'customer'->>'email')), (lower("payload"->>'to')), ("payload"->>'orderId')
  FROM "herald"."events";--> statement-breakpoint
ANALYZE "herald"."events";
