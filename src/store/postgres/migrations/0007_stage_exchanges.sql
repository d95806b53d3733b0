-- What each stage attempt sent and received (ctx.http) and which attempt wrote each log line,
-- for the dashboard's stage panel. Bodies arrive redacted and capped (engine/stage-recorder.ts).
-- Deleting an event deletes its exchanges by the cascade, as retention does.
ALTER TABLE event_logs ADD COLUMN attempt integer;

CREATE TABLE stage_exchanges (
  id          bigserial   PRIMARY KEY,
  event_id    bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  stage       text        NOT NULL,
  attempt     integer     NOT NULL,
  at          timestamptz NOT NULL,
  request     jsonb       NOT NULL,
  response    jsonb,
  error       text,
  duration_ms integer
);

CREATE INDEX stage_exchanges_event_idx ON stage_exchanges (event_id, id);
