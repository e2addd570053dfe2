-- A worker's row in herald.workers (its heartbeat and its `waiting` flag), written at start.
-- Called by worker/queries.ts. Guarded by: test/notify.test.ts.
CREATE OR REPLACE FUNCTION herald.register_worker(p_id text, p_hostname text, p_pid integer, p_subscriptions text[])
RETURNS void
LANGUAGE sql AS $$
  INSERT INTO herald.workers (id, hostname, pid, subscriptions)
  VALUES (p_id, p_hostname, p_pid, p_subscriptions)
  ON CONFLICT (id) DO UPDATE
  SET hostname = excluded.hostname, pid = excluded.pid, subscriptions = excluded.subscriptions,
      last_heartbeat_at = now()
$$;
