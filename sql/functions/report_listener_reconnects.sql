-- The worker's listener reconnect count, for GET /api/metrics. Writes only when it changed.
-- Called by worker/queries.ts. Guarded by: test/metrics.test.ts.
CREATE OR REPLACE FUNCTION herald.report_listener_reconnects(p_id text, p_reconnects integer) RETURNS void
LANGUAGE sql AS $$
  UPDATE herald.workers SET listener_reconnects = p_reconnects WHERE id = p_id AND listener_reconnects <> p_reconnects
$$;
