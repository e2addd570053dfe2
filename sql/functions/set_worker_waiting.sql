-- The wake-up flag: a worker with room and nothing to claim sets it, and only then do publishers
-- NOTIFY (wake_workers). Writes only when it changes. Called by worker/queries.ts.
-- Guarded by: test/notify.test.ts.
CREATE OR REPLACE FUNCTION herald.set_worker_waiting(p_id text, p_waiting boolean) RETURNS void
LANGUAGE sql AS $$
  UPDATE herald.workers SET waiting = p_waiting, last_heartbeat_at = now()
  WHERE id = p_id AND waiting IS DISTINCT FROM p_waiting
$$;
