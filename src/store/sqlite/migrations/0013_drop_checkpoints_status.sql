-- The (status, stage) index of checkpoints is dropped. Nothing needs it, and it cost on both sides:
-- - Reads: the list's checkpoint filters (a stage's status, "needs attention") check each event's
--   checkpoints with a correlated EXISTS. Without statistics (the store never runs ANALYZE) SQLite
--   answered it through this index, walking every checkpoint of the status for every event of the
--   page: 2.1 s for a page of 50 at 200,000 events (2.2 M checkpoints), against 0.07-0.16 s by the
--   checkpoints' own key (event_id, stage), which it now uses (bench/checkpoint-filter.ts).
-- - Writes: every checkpoint write moves its row in it (the `processing` mark, then the outcome):
--   about a tenth of the WAL pages a Facturador event writes.
DROP INDEX checkpoints_status;
