-- The attempt log's foreign key to deliveries, per statement (functions/attempts_need_their_delivery.sql).
-- Guarded by: test/attempts-follow-deliveries.test.ts.
CREATE OR REPLACE TRIGGER attempts_need_their_delivery
AFTER INSERT ON herald.attempt_log
REFERENCING NEW TABLE AS new_attempts
FOR EACH STATEMENT EXECUTE FUNCTION herald.attempts_need_their_delivery();
