-- Attempts are history and never move to another delivery; an UPDATE that tried is refused too
-- (the same check as attempts_need_their_delivery, 0018).
-- Guarded by: test/attempts-follow-deliveries.test.ts.
CREATE OR REPLACE TRIGGER attempts_keep_their_delivery
AFTER UPDATE ON herald.attempt_log
REFERENCING NEW TABLE AS new_attempts
FOR EACH STATEMENT EXECUTE FUNCTION herald.attempts_need_their_delivery();
