-- NOTIFY makes every notifying commit take one database-wide lock, which serialises all
-- publishers (measured: 17.3k tx/s → 4.0k tx/s at 32 clients; 0001). So a publisher notifies
-- only when some worker has said it is idle, and at most once per transaction (identical
-- notifications in one transaction are folded by PostgreSQL). The payload is empty: NOTIFY
-- is a wake-up hint, never the source of truth. `SET herald.notify = 'off'` disables it.
-- publish_one writes the same check out inline (see there).
-- Guarded by: test/notify.test.ts.
CREATE OR REPLACE FUNCTION herald.wake_workers() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('herald.notify', true) IS DISTINCT FROM 'off'
     AND EXISTS (SELECT 1 FROM herald.workers WHERE waiting) THEN
    PERFORM pg_notify('herald_wakeup', '');
  END IF;
END
$$;
