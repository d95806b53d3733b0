-- The events list's text search (q=) at scale: an FTS5 index of every event's search_text,
-- split into trigrams, so a term of three characters or more finds its rows through the index
-- instead of testing every event (bench/README.md, "the events list at 1,000,000 events").
-- External content: the text lives once, in events; the index holds only the trigrams.
-- case_sensitive 1: search_text and the terms are already lower-cased in JavaScript
-- (src/store/search-text.ts), so the index compares exactly what instr() compares; the list
-- query still rechecks instr() on each row it finds. Terms under three characters keep the scan.
CREATE VIRTUAL TABLE events_search USING fts5(
  search_text,
  content = 'events',
  content_rowid = 'id',
  tokenize = 'trigram case_sensitive 1'
);

-- Kept in step by triggers, inside the transaction that writes the event: an insert, a summary
-- rewrite (checkpoints may merge into the summary) and a delete (retention's purge, a cascade).
CREATE TRIGGER events_search_insert AFTER INSERT ON events BEGIN
  INSERT INTO events_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER events_search_delete AFTER DELETE ON events BEGIN
  INSERT INTO events_search (events_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER events_search_update AFTER UPDATE OF search_text ON events BEGIN
  INSERT INTO events_search (events_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
  INSERT INTO events_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

-- Backfill: index the events already stored.
INSERT INTO events_search (events_search) VALUES ('rebuild');
