-- Counts per bucket (not cumulative): element i+1 counts values in [bound i, bound i+1).
-- Guarded by: test/metrics.test.ts.
CREATE OR REPLACE FUNCTION herald.histogram(p_values float8[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(coalesce(c.n, 0)::integer ORDER BY i)
  FROM generate_series(0, array_length(herald.duration_buckets_ms(), 1)) AS i
  LEFT JOIN (
    SELECT width_bucket(v, herald.duration_buckets_ms()) AS b, count(*) AS n
    FROM unnest(p_values) AS v GROUP BY 1
  ) c ON c.b = i
$$;
