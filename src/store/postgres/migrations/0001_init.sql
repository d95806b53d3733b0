-- 0001_init: every table webpig keeps, PostgreSQL dialect.
-- Column names are the snake_case of the record fields in src/core/types.ts.
-- Never edit this file once released: add 0002_... instead.

CREATE TABLE events (
  id                 bigserial PRIMARY KEY,
  source             text        NOT NULL,
  provider_event_id  text        NOT NULL,
  entity_key         text,
  type               text        NOT NULL,
  transaction_status text CHECK (transaction_status IN ('accepted', 'rejected', 'pending', 'reversed')),
  occurred_at        timestamptz NOT NULL,
  received_at        timestamptz NOT NULL,
  raw_body           bytea       NOT NULL,
  content_type       text,
  payload            jsonb       NOT NULL,
  summary            jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- Lower-cased text the free-text filter looks in (provider id, customer, references).
  search_text        text        NOT NULL DEFAULT '',
  status             text        NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'processing', 'succeeded', 'retrying', 'dead', 'ignored')),
  pipeline           text,
  attempts           integer     NOT NULL DEFAULT 0,
  manual_retries     integer     NOT NULL DEFAULT 0,
  next_attempt_at    timestamptz,
  lease_owner        text,
  lease_expires_at   timestamptz,
  last_error         jsonb,
  ignore_reason      jsonb,
  updated_at         timestamptz NOT NULL,
  -- When a claim may take the event: its next attempt while waiting, its lease expiry while
  -- held, never once finished. Claims read it in this order.
  runnable_at        timestamptz GENERATED ALWAYS AS (
                       CASE WHEN status IN ('queued', 'retrying') THEN next_attempt_at
                            WHEN status = 'processing' THEN lease_expires_at END) STORED,
  UNIQUE (source, provider_event_id)
);

CREATE INDEX events_claim_idx ON events (runnable_at, received_at, id) WHERE runnable_at IS NOT NULL;
-- Per-entity ordering: the earliest unfinished event of a key.
CREATE INDEX events_entity_unfinished_idx ON events (entity_key, occurred_at, received_at, id)
  WHERE status IN ('queued', 'processing', 'retrying') AND entity_key IS NOT NULL;
-- Lists (newest first) and their common filters.
CREATE INDEX events_status_idx ON events (status, id);
CREATE INDEX events_source_idx ON events (source, id);
CREATE INDEX events_entity_idx ON events (entity_key, id);
CREATE INDEX events_received_idx ON events (received_at);

CREATE TABLE checkpoints (
  event_id     bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  stage        text        NOT NULL,
  status       text        NOT NULL CHECK (status IN ('pending', 'processing', 'success', 'error', 'skipped')),
  attempts     integer     NOT NULL DEFAULT 0,
  started_at   timestamptz,
  completed_at timestamptz,
  duration_ms  double precision,
  data         jsonb,
  error        jsonb,
  skip_reason  jsonb,
  updated_at   timestamptz NOT NULL,
  -- Creation order, so a checkpoint list reads in the order the stages first ran.
  seq          bigserial   NOT NULL,
  PRIMARY KEY (event_id, stage)
);
CREATE INDEX checkpoints_status_idx ON checkpoints (status, stage);

CREATE TABLE checkpoint_attempts (
  id           bigserial   PRIMARY KEY,
  event_id     bigint      NOT NULL,
  stage        text        NOT NULL,
  attempt      integer     NOT NULL,
  status       text        NOT NULL CHECK (status IN ('pending', 'processing', 'success', 'error', 'skipped')),
  started_at   timestamptz NOT NULL,
  completed_at timestamptz,
  duration_ms  double precision,
  error        jsonb,
  note         text,
  FOREIGN KEY (event_id, stage) REFERENCES checkpoints (event_id, stage) ON DELETE CASCADE
);
CREATE INDEX checkpoint_attempts_checkpoint_idx ON checkpoint_attempts (event_id, stage, id);
CREATE INDEX checkpoint_attempts_completed_idx ON checkpoint_attempts (completed_at);

CREATE TABLE event_logs (
  id       bigserial   PRIMARY KEY,
  event_id bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  at       timestamptz NOT NULL,
  level    text        NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  stage    text,
  message  text        NOT NULL,
  fields   jsonb
);
CREATE INDEX event_logs_event_idx ON event_logs (event_id, id);

CREATE TABLE entity_states (
  entity_key  text        PRIMARY KEY,
  state       text        NOT NULL,
  event_id    bigint      NOT NULL,
  occurred_at timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE flags (
  key         text        PRIMARY KEY,
  value       boolean     NOT NULL,
  description text        NOT NULL,
  updated_at  timestamptz NOT NULL,
  updated_by  text
);

CREATE TABLE flag_changes (
  id        bigserial   PRIMARY KEY,
  key       text        NOT NULL,
  old_value boolean,
  new_value boolean     NOT NULL,
  actor     text        NOT NULL,
  reason    text,
  at        timestamptz NOT NULL
);
CREATE INDEX flag_changes_key_idx ON flag_changes (key, id);

CREATE TABLE audit_log (
  id             bigserial   PRIMARY KEY,
  at             timestamptz NOT NULL,
  actor          text        NOT NULL,
  action         text        NOT NULL,
  target         text        NOT NULL,
  details        jsonb,
  remote_address text
);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);

CREATE TABLE api_tokens (
  id           bigserial   PRIMARY KEY,
  name         text        NOT NULL,
  token_hash   text        NOT NULL UNIQUE,
  scopes       text[]      NOT NULL,
  created_at   timestamptz NOT NULL,
  created_by   text        NOT NULL,
  revoked_at   timestamptz,
  last_used_at timestamptz
);

CREATE TABLE sessions (
  id         text        PRIMARY KEY,
  email      text        NOT NULL,
  name       text,
  roles      text[]      NOT NULL,
  csrf_token text        NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE rejected_deliveries (
  id             bigserial   PRIMARY KEY,
  at             timestamptz NOT NULL,
  source         text        NOT NULL,
  http_status    integer     NOT NULL,
  reason         text        NOT NULL,
  remote_address text,
  first_bytes    text        NOT NULL
);

CREATE TABLE alerts (
  id          bigserial   PRIMARY KEY,
  at          timestamptz NOT NULL,
  kind        text        NOT NULL CHECK (kind IN ('retried', 'dead', 'stuck', 'stage_error_rate', 'oversold', 'custom')),
  event_id    bigint,
  stage       text,
  message     text        NOT NULL,
  details     jsonb,
  resolved_at timestamptz
);
CREATE INDEX alerts_unresolved_idx ON alerts (id) WHERE resolved_at IS NULL;
