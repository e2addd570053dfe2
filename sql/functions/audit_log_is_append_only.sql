-- Trigger function (triggers/audit_log_append_only.sql): the audit log is append-only, so
-- nothing in the app can rewrite who did what.
CREATE OR REPLACE FUNCTION herald.audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'herald.audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
