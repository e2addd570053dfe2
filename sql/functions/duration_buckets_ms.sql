-- Upper bounds (ms) of the attempt-duration histogram's buckets; one more bucket holds the rest.
-- lib/metrics/ reports them as Prometheus `le` labels. Guarded by: test/metrics.test.ts.
CREATE OR REPLACE FUNCTION herald.duration_buckets_ms() RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY[5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]::float8[]
$$;
