-- Trigger function (triggers/deliveries_truncate_their_attempts.sql): TRUNCATE of deliveries
-- (… CASCADE from events) empties the attempt log, as the dropped foreign key did.
-- Guarded by: test/attempts-follow-deliveries.test.ts.
CREATE OR REPLACE FUNCTION herald.truncate_attempts_with_deliveries() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- TRUNCATE is for tests and maintenance windows; to empty everything at once, name
  -- attempt_log in it too.
  DELETE FROM herald.attempt_log;
  RETURN NULL;
END
$$;
