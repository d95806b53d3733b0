-- Alerts become issues: one open row per kind and subject (`event:79`, `stage:dian`,
-- `sku:SKU-1`, `queue`) with a count and first/last seen; a repeat while open counts an
-- occurrence instead of adding a row. Also: mute (who, when, why, until) and the outbox's
-- second transition (the resolution is forwarded once, as the opening is). `backlog` joins
-- the stored kinds: the periodic check stores what used to be computed on each page load.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt.
CREATE TABLE alerts_v8 (
  id                     INTEGER PRIMARY KEY AUTOINCREMENT,
  at                     INTEGER NOT NULL,
  kind                   TEXT    NOT NULL CHECK (kind IN ('retried', 'dead', 'stuck', 'stage_error_rate', 'backlog', 'oversold', 'custom')),
  subject                TEXT    NOT NULL,
  occurrences            INTEGER NOT NULL DEFAULT 1,
  last_seen_at           INTEGER NOT NULL,
  event_id               INTEGER,
  stage                  TEXT,
  message                TEXT    NOT NULL,
  details                TEXT,
  resolved_at            INTEGER,
  forwarded_at           INTEGER,
  forward_attempts       INTEGER NOT NULL DEFAULT 0,
  forward_next_at        INTEGER,
  forward_error          TEXT,
  resolve_forwarded_at   INTEGER,
  acknowledged_at        INTEGER,
  acknowledged_by        TEXT,
  ack_reason             TEXT,
  muted_at               INTEGER,
  muted_until            INTEGER,
  muted_by               TEXT,
  mute_reason            TEXT
);

-- Resolutions from before this version are history: they are not announced now.
INSERT INTO alerts_v8 (id, at, kind, subject, last_seen_at, event_id, stage, message, details, resolved_at,
                       forwarded_at, forward_attempts, forward_next_at, forward_error, resolve_forwarded_at,
                       acknowledged_at, acknowledged_by, ack_reason)
SELECT id, at, kind,
       CASE WHEN event_id IS NOT NULL THEN 'event:' || event_id
            WHEN stage IS NOT NULL THEN 'stage:' || stage
            ELSE 'text:' || substr(message, 1, 200) END,
       at, event_id, stage, message, details, resolved_at,
       forwarded_at, forward_attempts, forward_next_at, forward_error, resolved_at,
       acknowledged_at, acknowledged_by, ack_reason
  FROM alerts;

-- Open duplicates (oversold once per order, retried once per manual retry) fold into the newest.
UPDATE alerts_v8 SET
  occurrences = (SELECT count(*) FROM alerts_v8 o
                  WHERE o.resolved_at IS NULL AND o.kind = alerts_v8.kind AND o.subject = alerts_v8.subject),
  at = (SELECT min(o.at) FROM alerts_v8 o
         WHERE o.resolved_at IS NULL AND o.kind = alerts_v8.kind AND o.subject = alerts_v8.subject)
 WHERE resolved_at IS NULL;
DELETE FROM alerts_v8
 WHERE resolved_at IS NULL
   AND id NOT IN (SELECT max(id) FROM alerts_v8 WHERE resolved_at IS NULL GROUP BY kind, subject);

DROP TABLE alerts;
ALTER TABLE alerts_v8 RENAME TO alerts;

CREATE INDEX alerts_unresolved ON alerts (id) WHERE resolved_at IS NULL;
CREATE INDEX alerts_to_forward ON alerts (id) WHERE forwarded_at IS NULL;
CREATE INDEX alerts_resolution_to_forward ON alerts (id) WHERE resolved_at IS NOT NULL AND resolve_forwarded_at IS NULL;
CREATE INDEX alerts_open_by_event ON alerts (event_id) WHERE resolved_at IS NULL;
-- The issue key: one open alert per kind and subject (recordAlert upserts on it).
CREATE UNIQUE INDEX alerts_open_issue ON alerts (kind, subject) WHERE resolved_at IS NULL;
