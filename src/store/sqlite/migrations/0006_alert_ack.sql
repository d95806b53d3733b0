-- An operator acknowledges an open alert ("seen, being handled"): who, when and why. The alert
-- stays open until its cause is gone; acknowledging only mutes it on the page. Audited as alert.ack.
ALTER TABLE alerts ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
ALTER TABLE alerts ADD COLUMN ack_reason      TEXT;

-- Every event that succeeds resolves its open alerts (resolveAlertsForEvent): without this, each
-- success would scan the whole alerts table (~1 ms per success at 20,000 alerts on SQLite).
CREATE INDEX alerts_open_by_event ON alerts (event_id) WHERE resolved_at IS NULL;
