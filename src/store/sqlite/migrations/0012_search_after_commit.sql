-- The text search's trigram index (0011) is written after the delivery's commit, not inside it:
-- indexing one event in its own transaction cost ~175 µs of CPU on ingestion's path, indexing
-- a few hundred at once ~25 µs each (bench/README.md, "SQLite ingestion"). An indexer in the
-- process that inserts (src/store/sqlite/search-index.ts) adds the events above
-- indexed_through to events_search in batches shortly after their commit; the list's search
-- also scans those few unindexed events, so a delivery is found as soon as it is committed.
-- AUTOINCREMENT ids (0001) are never reused and one writer at a time commits, so an id above
-- indexed_through is exactly an event not indexed yet.
DROP TRIGGER events_search_insert;

CREATE TABLE events_search_progress (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL -- every event with an id up to this one is in events_search
);

-- Every event stored so far was indexed by 0011's insert trigger.
INSERT INTO events_search_progress (id, indexed_through) VALUES (1, (SELECT coalesce(max(id), 0) FROM events));

-- A summary patch and a purge change the index only for an event it holds: an external-content
-- FTS5 'delete' of a row it does not hold corrupts it. An event not indexed yet is indexed later
-- with the text it has then.
DROP TRIGGER events_search_delete;
CREATE TRIGGER events_search_delete AFTER DELETE ON events
WHEN old.id <= (SELECT indexed_through FROM events_search_progress)
BEGIN
  INSERT INTO events_search (events_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

DROP TRIGGER events_search_update;
CREATE TRIGGER events_search_update AFTER UPDATE OF search_text ON events
WHEN old.id <= (SELECT indexed_through FROM events_search_progress)
BEGIN
  INSERT INTO events_search (events_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
  INSERT INTO events_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
