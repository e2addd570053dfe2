-- Capped exponential backoff with ±25 % jitter: base · 2^(attempt−1), at most max. With the
-- default policy (1 s base) a delivery waits about 1 s after the first failure, 2 s after the
-- second, 4 s after the third … until the subscription's maximum. Used by herald.fail_many.
-- Guarded by: test/retry.test.ts ("retries a failing handler on the documented schedule").
CREATE OR REPLACE FUNCTION herald.backoff_ms(p_attempt integer, p_base_ms integer, p_max_ms integer) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT round(least(p_max_ms::float8, p_base_ms * power(2, least(greatest(p_attempt, 1) - 1, 40)))
               * (0.75 + random() * 0.5))::bigint
$$;
