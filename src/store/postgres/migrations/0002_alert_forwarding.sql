-- Alert forwarding: an outbox for alerts POSTed to the configured alerts.webhookUrl.
-- forward_next_at doubles as the claim: claiming an alert pushes it into the future, so a
-- forwarder that dies mid-send only delays the next try (alerts are delivered at least once).
ALTER TABLE alerts ADD COLUMN forwarded_at     timestamptz;
ALTER TABLE alerts ADD COLUMN forward_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN forward_next_at  timestamptz;
ALTER TABLE alerts ADD COLUMN forward_error    text;

CREATE INDEX alerts_to_forward_idx ON alerts (id) WHERE forwarded_at IS NULL;
