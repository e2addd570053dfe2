-- TRUNCATE of deliveries empties the attempt log (functions/truncate_attempts_with_deliveries.sql).
-- Guarded by: test/attempts-follow-deliveries.test.ts.
CREATE OR REPLACE TRIGGER deliveries_truncate_their_attempts
AFTER TRUNCATE ON herald.deliveries
FOR EACH STATEMENT EXECUTE FUNCTION herald.truncate_attempts_with_deliveries();
