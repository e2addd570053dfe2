-- Deleted deliveries take their attempts along (functions/delete_attempts_of_deleted_deliveries.sql).
-- Guarded by: test/attempts-follow-deliveries.test.ts.
CREATE OR REPLACE TRIGGER deliveries_take_their_attempts
AFTER DELETE ON herald.deliveries
REFERENCING OLD TABLE AS old_deliveries
FOR EACH STATEMENT EXECUTE FUNCTION herald.delete_attempts_of_deleted_deliveries();
