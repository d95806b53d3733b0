-- Alerts become issues: one open row per kind and subject (`event:79`, `stage:dian`,
-- `sku:SKU-1`, `queue`) with a count and first/last seen; a repeat while open counts an
-- occurrence instead of adding a row. Also: mute (who, when, why, until) and the outbox's
-- second transition (the resolution is forwarded once, as the opening is). `backlog` joins
-- the stored kinds: the periodic check stores what used to be computed on each page load.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
  CHECK (kind IN ('retried', 'dead', 'stuck', 'stage_error_rate', 'backlog', 'oversold', 'custom'));

ALTER TABLE alerts ADD COLUMN subject              text;
ALTER TABLE alerts ADD COLUMN occurrences          integer NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN last_seen_at         timestamptz;
ALTER TABLE alerts ADD COLUMN resolve_forwarded_at timestamptz;
ALTER TABLE alerts ADD COLUMN muted_at             timestamptz;
ALTER TABLE alerts ADD COLUMN muted_until          timestamptz;
ALTER TABLE alerts ADD COLUMN muted_by             text;
ALTER TABLE alerts ADD COLUMN mute_reason          text;

-- Resolutions from before this version are history: they are not announced now.
UPDATE alerts SET
  subject = CASE WHEN event_id IS NOT NULL THEN 'event:' || event_id
                 WHEN stage IS NOT NULL THEN 'stage:' || stage
                 ELSE 'text:' || substr(message, 1, 200) END,
  last_seen_at = at,
  resolve_forwarded_at = resolved_at;

-- Open duplicates (oversold once per order, retried once per manual retry) fold into the newest.
WITH grouped AS (
  SELECT kind, subject, count(*) AS n, min(at) AS first_at, max(id) AS newest
    FROM alerts WHERE resolved_at IS NULL GROUP BY kind, subject
)
UPDATE alerts a SET occurrences = g.n, at = g.first_at FROM grouped g WHERE a.id = g.newest;
DELETE FROM alerts a
 WHERE a.resolved_at IS NULL
   AND a.id NOT IN (SELECT max(id) FROM alerts WHERE resolved_at IS NULL GROUP BY kind, subject);

ALTER TABLE alerts ALTER COLUMN subject SET NOT NULL;
ALTER TABLE alerts ALTER COLUMN last_seen_at SET NOT NULL;

CREATE INDEX alerts_resolution_to_forward_idx ON alerts (id) WHERE resolved_at IS NOT NULL AND resolve_forwarded_at IS NULL;
-- The issue key: one open alert per kind and subject (recordAlert upserts on it).
CREATE UNIQUE INDEX alerts_open_issue_idx ON alerts (kind, subject) WHERE resolved_at IS NULL;
