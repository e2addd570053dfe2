-- Every attempt: the attempt log (failures, dead ends, lost leases, and successes recorded
-- before 0019) plus the successes kept on the delivery rows (complete_many), with the columns
-- the table had. Ids of both come from the one sequence, herald.attempts_id_seq. Nothing indexes
-- the ids of successes (an index would give back a third of 0019's gain): readers find attempts
-- by delivery, by message id or by time. `state = 'succeeded'` is always true where a success is
-- kept (the check deliveries_success_is_final); it is spelt out so that time-window readers
-- (the roll-up) use the index deliveries_finished.
-- Guarded by: test/attempts-follow-deliveries.test.ts ("keeps a success on its delivery row,
-- shown in herald.attempts after the logged attempts"), test/retry.test.ts.
CREATE OR REPLACE VIEW herald.attempts AS
  SELECT l.id, l.delivery_id, l.attempt, l.worker, l.started_at, l.finished_at, l.outcome,
         l.error_code, l.error, l.error_stack, l.result, l.manual, l.next_run_at
  FROM herald.attempt_log l
  UNION ALL
  SELECT d.success_attempt_id, d.id, d.attempts, d.success_worker, d.success_started_at,
         d.finished_at, 'succeeded'::text, NULL::text, NULL::text, NULL::text, d.success_result,
         d.success_manual, NULL::timestamptz
  FROM herald.deliveries d
  WHERE d.success_attempt_id IS NOT NULL AND d.state = 'succeeded';
