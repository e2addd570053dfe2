-- Element-wise sum of two arrays (the shorter padded with zeros); the transition function of
-- herald.sum_array, which adds up duration histograms in herald.roll_up.
-- Guarded by: test/metrics.test.ts (durations), test/maintenance.test.ts (rollups).
CREATE OR REPLACE FUNCTION herald.array_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}')
  FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;
