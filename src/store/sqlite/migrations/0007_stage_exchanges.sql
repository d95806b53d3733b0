-- What each stage attempt sent and received (ctx.http) and which attempt wrote each log line,
-- for the dashboard's stage panel. Bodies arrive redacted and capped (engine/stage-recorder.ts).
-- Deleting an event deletes its exchanges by the cascade, as retention does.
ALTER TABLE event_logs ADD COLUMN attempt INTEGER;

CREATE TABLE stage_exchanges (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  stage       TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  request     TEXT    NOT NULL, -- JSON: method, url, headers, body, bodyTruncated
  response    TEXT,             -- JSON: status, headers, body, bodyTruncated; NULL when no reply came
  error       TEXT,
  duration_ms INTEGER
);

CREATE INDEX stage_exchanges_event ON stage_exchanges (event_id, id);
