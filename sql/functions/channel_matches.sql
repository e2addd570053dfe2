-- 'order.approved' matches itself; 'order.*' matches 'order.approved'; '*' matches everything.
-- `_` is escaped so that it matches only itself. Used by fan-out (fan_out_events, publish_one).
-- Guarded by: test/publish.test.ts ("commits one delivery per matching subscription").
CREATE OR REPLACE FUNCTION herald.channel_matches(p_pattern text, p_channel text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_pattern = p_channel
      OR (strpos(p_pattern, '*') > 0
          AND p_channel LIKE replace(replace(p_pattern, '_', '\_'), '*', '%'))
$$;
