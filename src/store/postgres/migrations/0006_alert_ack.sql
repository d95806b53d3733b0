-- An operator acknowledges an open alert ("seen, being handled"): who, when and why. The alert
-- stays open until its cause is gone; acknowledging only mutes it on the page. Audited as alert.ack.
ALTER TABLE alerts ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE alerts ADD COLUMN acknowledged_by text;
ALTER TABLE alerts ADD COLUMN ack_reason      text;
