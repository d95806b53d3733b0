-- 0001_init: every table the Store needs. Released migrations are never edited; change the
-- schema with a new numbered file. Times are INTEGER epoch milliseconds (UTC); JSON is TEXT.

CREATE TABLE IF NOT EXISTS webpig_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
);

-- The inbox: one row per authentic delivery, deduplicated on (source, provider_event_id).
CREATE TABLE events (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused
  source             TEXT    NOT NULL,
  provider_event_id  TEXT    NOT NULL,
  entity_key         TEXT,
  type               TEXT    NOT NULL,
  transaction_status TEXT CHECK (transaction_status IN ('accepted', 'rejected', 'pending', 'reversed')),
  occurred_at        INTEGER NOT NULL,
  received_at        INTEGER NOT NULL,
  raw_body           BLOB    NOT NULL,
  content_type       TEXT,
  payload            TEXT    NOT NULL,
  summary            TEXT    NOT NULL,
  -- Lower-cased customer name/email/document id, reference values and provider id, kept
  -- beside the summary so the dashboard's text search is one instr() per row.
  search_text        TEXT    NOT NULL DEFAULT '',
  status             TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'processing', 'succeeded', 'retrying', 'dead', 'ignored')),
  pipeline           TEXT,
  attempts           INTEGER NOT NULL DEFAULT 0,
  manual_retries     INTEGER NOT NULL DEFAULT 0,
  next_attempt_at    INTEGER,
  lease_owner        TEXT,
  lease_expires_at   INTEGER,
  last_error         TEXT,
  ignore_reason      TEXT,
  updated_at         INTEGER NOT NULL,
  -- When a worker may claim the row: its next attempt while waiting, its lease expiry while
  -- held; NULL once finished. One indexed column keeps the claim query a range scan.
  runnable_at        INTEGER GENERATED ALWAYS AS (
                       CASE
                         WHEN status IN ('queued', 'retrying') THEN next_attempt_at
                         WHEN status = 'processing' THEN lease_expires_at
                       END
                     ) VIRTUAL,
  UNIQUE (source, provider_event_id)
);

CREATE INDEX events_claim ON events (runnable_at, received_at, id) WHERE runnable_at IS NOT NULL;
-- Only unfinished events: the per-entity check in a claim never wades through an entity's history.
CREATE INDEX events_entity_unfinished ON events (entity_key, occurred_at, received_at, id)
  WHERE entity_key IS NOT NULL AND status IN ('queued', 'retrying', 'processing');
CREATE INDEX events_entity_leased ON events (entity_key, lease_expires_at)
  WHERE entity_key IS NOT NULL AND status = 'processing';
CREATE INDEX events_entity ON events (entity_key, id) WHERE entity_key IS NOT NULL;
CREATE INDEX events_status ON events (status, id);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_source ON events (source, id);

-- The durable record of one stage of one event.
CREATE TABLE checkpoints (
  event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  stage        TEXT    NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('pending', 'processing', 'success', 'error', 'skipped')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  started_at   INTEGER,
  completed_at INTEGER,
  duration_ms  INTEGER,
  data         TEXT,
  error        TEXT,
  skip_reason  TEXT,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (event_id, stage)
);

CREATE INDEX checkpoints_status ON checkpoints (status, stage);

-- Every attempt of a stage (the checkpoint's history).
CREATE TABLE checkpoint_attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  stage        TEXT    NOT NULL,
  attempt      INTEGER NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('pending', 'processing', 'success', 'error', 'skipped')),
  started_at   INTEGER NOT NULL,
  completed_at INTEGER,
  duration_ms  INTEGER,
  error        TEXT,
  note         TEXT
);

CREATE INDEX checkpoint_attempts_event ON checkpoint_attempts (event_id, stage, attempt);
CREATE INDEX checkpoint_attempts_completed ON checkpoint_attempts (completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE event_logs (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  level    TEXT    NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  stage    TEXT,
  message  TEXT    NOT NULL,
  fields   TEXT
);

CREATE INDEX event_logs_event ON event_logs (event_id, id);

CREATE TABLE entity_states (
  entity_key  TEXT    PRIMARY KEY,
  state       TEXT    NOT NULL,
  event_id    INTEGER NOT NULL,
  occurred_at INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE flags (
  key         TEXT    PRIMARY KEY,
  value       INTEGER NOT NULL CHECK (value IN (0, 1)),
  description TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT
);

CREATE TABLE flag_changes (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  key       TEXT    NOT NULL,
  old_value INTEGER CHECK (old_value IN (0, 1)),
  new_value INTEGER NOT NULL CHECK (new_value IN (0, 1)),
  actor     TEXT    NOT NULL,
  reason    TEXT,
  at        INTEGER NOT NULL
);

CREATE INDEX flag_changes_key ON flag_changes (key, id);

CREATE TABLE audit_log (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  at             INTEGER NOT NULL,
  actor          TEXT    NOT NULL,
  action         TEXT    NOT NULL,
  target         TEXT    NOT NULL,
  details        TEXT,
  remote_address TEXT
);

CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  name         TEXT    NOT NULL,
  token_hash   TEXT    NOT NULL UNIQUE,
  scopes       TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  created_by   TEXT    NOT NULL,
  revoked_at   INTEGER,
  last_used_at INTEGER
);

CREATE TABLE sessions (
  id         TEXT    PRIMARY KEY,
  email      TEXT    NOT NULL,
  name       TEXT,
  roles      TEXT    NOT NULL,
  csrf_token TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE rejected_deliveries (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  at             INTEGER NOT NULL,
  source         TEXT    NOT NULL,
  http_status    INTEGER NOT NULL,
  reason         TEXT    NOT NULL,
  remote_address TEXT,
  first_bytes    TEXT    NOT NULL
);

CREATE TABLE alerts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('retried', 'dead', 'stuck', 'stage_error_rate', 'oversold', 'custom')),
  event_id    INTEGER,
  stage       TEXT,
  message     TEXT    NOT NULL,
  details     TEXT,
  resolved_at INTEGER
);

CREATE INDEX alerts_unresolved ON alerts (id) WHERE resolved_at IS NULL;
