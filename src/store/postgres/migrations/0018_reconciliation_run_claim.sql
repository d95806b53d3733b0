-- Which run holds a source right now (docs/reconcile.md, "One run at a time"): a run claims the
-- source before it lists and renews the claim while it runs; another run (a second worker,
-- `webpig reconcile` by hand) finding a live claim does not start. A run that dies keeps its
-- claim until run_lease_until, or less when its process is known to be gone (same machine).
-- run_owner: machine, process and run ids; NULL when no run holds the source.
ALTER TABLE reconciliation_state ADD COLUMN run_owner text;
ALTER TABLE reconciliation_state ADD COLUMN run_started_at timestamptz;
ALTER TABLE reconciliation_state ADD COLUMN run_lease_until timestamptz;
