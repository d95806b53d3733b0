-- The events list's text search (q=) at scale: a GIN trigram index (pg_trgm) on search_text,
-- so `search_text LIKE '%term%'` finds its rows through the index (a bitmap index scan)
-- instead of testing every event (bench/README.md, "the events list at 1,000,000 events").
--
-- CREATE EXTENSION needs a privilege a hosted database may not give. Then this migration still
-- succeeds without the index: the search keeps working by scanning, and a WARNING says so
-- (webpig logs it; docs/deploy.md says how to add the index later).
-- IF NOT EXISTS: on a large table an operator may build the index beforehand with CREATE INDEX
-- CONCURRENTLY (docs/deploy.md), since building it here holds off writes to events meanwhile.
-- The extension goes in the schema public, shared by the whole database, not in webpig's own
-- schema: dropping one webpig schema must not drop the index of another.
DO $migration$
DECLARE
  trgm_schema text;
BEGIN
  -- Two webpig schemas migrating at once would race to create the one extension.
  PERFORM pg_advisory_xact_lock(hashtextextended('webpig:pg_trgm', 0));
  SELECT n.nspname INTO trgm_schema
    FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
   WHERE x.extname = 'pg_trgm';
  IF trgm_schema IS NULL THEN
    BEGIN
      CREATE EXTENSION pg_trgm SCHEMA public;
      trgm_schema := 'public';
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'webpig: pg_trgm could not be installed (%: %); the events list''s text search will scan instead of using an index. Ask the database''s administrator to run CREATE EXTENSION pg_trgm, then see docs/deploy.md.', SQLSTATE, SQLERRM;
      RETURN;
    END;
  END IF;
  EXECUTE format('CREATE INDEX IF NOT EXISTS events_search_trgm ON events USING gin (search_text %I.gin_trgm_ops)', trgm_schema);
END
$migration$;
