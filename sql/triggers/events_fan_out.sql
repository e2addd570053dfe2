-- Fan-out for every insert into herald.events that publish_one did not fan out itself: the
-- WHEN skips statements run under herald.fan_out = 'inline' (publish_one's SET), so nothing fans
-- out twice (0014). Per statement, over a transition table (functions/fan_out_events.sql).
-- Guarded by: test/publish.test.ts, test/sql-consumer.test.ts.
CREATE OR REPLACE TRIGGER events_fan_out
AFTER INSERT ON herald.events
REFERENCING NEW TABLE AS new_events
FOR EACH STATEMENT
WHEN (current_setting('herald.fan_out', true) IS DISTINCT FROM 'inline')
EXECUTE FUNCTION herald.fan_out_events();
