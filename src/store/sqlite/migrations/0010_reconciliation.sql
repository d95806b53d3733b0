-- Reconciliation (docs/reconcile.md): webpig lists a provider's own records and creates the
-- events whose webhooks never arrived. Such an event says so ('reconciliation'); every other
-- event came by webhook.
ALTER TABLE events ADD COLUMN origin TEXT NOT NULL DEFAULT 'webhook' CHECK (origin IN ('webhook', 'reconciliation'));

-- One row per source: when it was last reconciled, what that run found, and where an
-- interrupted run resumes (the window's start and the provider's page cursor).
CREATE TABLE reconciliation_state (
  source           TEXT PRIMARY KEY,
  last_started_at  INTEGER,
  last_finished_at INTEGER,
  last_listed      INTEGER NOT NULL DEFAULT 0,
  last_recovered   INTEGER NOT NULL DEFAULT 0,
  total_recovered  INTEGER NOT NULL DEFAULT 0,
  resume_since     INTEGER,
  resume_cursor    TEXT,
  last_error       TEXT,
  -- Where the provider's API is (the demo records its sandbox here, so `webpig reconcile --db`
  -- run as its own process finds it). Never a credential.
  api_base_url     TEXT
);
