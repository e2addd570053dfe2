-- The audit log is append-only (functions/audit_log_is_append_only.sql).
CREATE OR REPLACE TRIGGER audit_log_append_only
BEFORE UPDATE OR DELETE ON herald.audit_log
FOR EACH ROW EXECUTE FUNCTION herald.audit_log_is_append_only();
