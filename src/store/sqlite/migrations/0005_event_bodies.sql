-- An event's body (raw bytes and parsed payload, ~2× the delivery's size) moves to a table that
-- is written once and never updated. SQLite rewrites a whole row, overflow pages included, on
-- every UPDATE: with the body in `events`, each claim, lease renewal and finish wrote the body
-- to the WAL again (~123 KB of WAL per 20 KB delivery while ingesting, ~380 KB with a worker).
-- Deleting an event deletes its body by the cascade (foreign_keys is on for every connection).
CREATE TABLE event_bodies (
  event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
  raw_body BLOB    NOT NULL,
  payload  TEXT    NOT NULL
);

INSERT INTO event_bodies (event_id, raw_body, payload) SELECT id, raw_body, payload FROM events;

-- No index, trigger, view, CHECK or generated column names these two columns.
ALTER TABLE events DROP COLUMN raw_body;
ALTER TABLE events DROP COLUMN payload;
