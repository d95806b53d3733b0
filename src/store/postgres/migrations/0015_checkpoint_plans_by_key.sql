-- The worker's two functions (the claim, 0013; the checkpoint writes, 0014) plan every
-- statement as key look-ups: no sequential scan, hash join or merge join. Each statement touches
-- a few rows found by key (a claim at most 50 candidates, a batch at most 64 writes), so an index
-- probe a row is always the right plan; these settings only stop the planner from choosing
-- another one from stale statistics.
--
-- Why it is needed: PL/pgSQL keeps a statement's generic plan for the life of the connection
-- after its first five calls, and nothing but ANALYZE (or DDL) invalidates it. A worker that
-- starts on a new install, or right after a bulk load, plans against tables that are empty or
-- never analysed: the cheapest plan of an empty table is to scan it whole and hash-join, and that
-- plan was then kept while the tables grew. bench/pipeline.ts on PostgreSQL, concurrency 32,
-- fresh schema: 625, 290 and 242 events/s at 2,000, 8,000 and 16,000 events (each call read all
-- of checkpoint_attempts, and the finishes all of events); with these settings 845-1,093,
-- 1,059-1,406 and 1,025-1,315 (bench/README.md). Autovacuum's ANALYZE would have replaced the plan, but only after
-- its naptime (a minute by default) and 10 % growth, and a long-lived connection of a busy
-- worker kept the scans until then.
--
-- A later CREATE OR REPLACE of either function must repeat these SET clauses: it drops the
-- settings it does not name (test/store/plans-by-key.postgres.test.ts then fails).
--
-- Per function, not per session: the other statements of the store are planned at each call
-- (unnamed statements) and keep the planner's normal choices.
ALTER FUNCTION webpig_write_checkpoints(jsonb, text)
  SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off;
ALTER FUNCTION webpig_claim_events(text[], timestamptz, timestamptz)
  SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off;
