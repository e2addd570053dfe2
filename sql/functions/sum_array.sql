-- Aggregate: element-wise sum of bigint arrays (herald.array_add), for the duration histograms
-- in herald.roll_up. Guarded by: test/metrics.test.ts.
CREATE OR REPLACE AGGREGATE herald.sum_array(bigint[]) (sfunc = herald.array_add, stype = bigint[], initcond = '{}');
