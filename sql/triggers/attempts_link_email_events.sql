-- Links early Postmark records to each statement's new logged attempts (functions/link_email_events.sql).
-- Guarded by: test/webhooks.test.ts.
CREATE OR REPLACE TRIGGER attempts_link_email_events
AFTER INSERT ON herald.attempt_log
REFERENCING NEW TABLE AS new_attempts
FOR EACH STATEMENT EXECUTE FUNCTION herald.link_email_events();
