-- When a run of the source first started (docs/reconcile.md, "Reconciliation overdue"): set by
-- the first run's claim or recorded start and never moved afterwards, so a source whose runs
-- all die before finishing (a worker in a restart loop, a listing killed for memory every time)
-- is found overdue three of its `every` after that first start; last_started_at moves with
-- every run and cannot say it. NULL: no run has started (a row made by recording where the
-- provider's API is).
-- Rows from before this migration take their last recorded start (or the start of the run
-- holding the source, when it never recorded one): the first start happened no later than that,
-- so counting from it raises the alert no earlier than it is due, and sooner than counting from
-- the next run's start after the upgrade would. A source that has finished a run never reads it.
ALTER TABLE reconciliation_state ADD COLUMN first_started_at timestamptz;
UPDATE reconciliation_state SET first_started_at = coalesce(last_started_at, run_started_at);
