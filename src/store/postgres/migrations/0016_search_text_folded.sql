-- The text search (q=) folds accents and digit grouping since this version, and searches the
-- customer's phone (src/store/search-text.ts): "maria gomez" finds "María Gómez", and
-- "300 123 4567" or "+57 300 123 4567" finds the phone "3001234567". The folding is
-- JavaScript's (NFD), done without the unaccent extension (it may not be installable), so this
-- file only records the work to do: after the SQL files, the migration step rewrites the
-- search_text of every stored event in batches (src/store/postgres/search-text-refresh.ts),
-- each committing with its progress here. A process killed midway resumes where it stopped;
-- the row is deleted when the last event is done. A later change to searchText() re-arms it
-- with a migration that inserts the row again. The trigram index (0011) follows each rewritten
-- row as PostgreSQL writes it.
-- Written to run again over its own table (a test rewinds the version rows and migrates again):
-- applied, it means every event's text is to be made again from the first.
CREATE TABLE IF NOT EXISTS search_text_refresh (
  id           integer PRIMARY KEY CHECK (id = 1),
  done_through bigint  NOT NULL -- every event with an id up to this one has the current searchText()
);

INSERT INTO search_text_refresh (id, done_through) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET done_through = 0;
