-- A dead event stays pinned on the home page until someone retries it or marks it as handled
-- ("refunded by hand", "invoiced manually in WorldOffice"): who, when and why. The event keeps
-- its status (it did fail); a later failure pins it again because updated_at then passes
-- handled_at. Audited as event.handled and written to the event's logs.
ALTER TABLE events ADD COLUMN handled_at     INTEGER;
ALTER TABLE events ADD COLUMN handled_by     TEXT;
ALTER TABLE events ADD COLUMN handled_reason TEXT;
