-- Which dates of the provider's records reconciliation has compared (docs/reconcile.md), so the
-- event panel can say whether one payment was checked: one contiguous interval of provider time
-- listed by finished runs. A finished run whose window [since, its start] overlaps or touches it
-- widens it; one that leaves a gap replaces it (what lies between was never listed).
-- covered_by: 'dates' (Stripe, MercadoPago: a window is listed) or 'references' (ePayco: only
-- the references given are looked up, no window). NULL: no run has finished since this migration.
ALTER TABLE reconciliation_state ADD COLUMN covered_from timestamptz;
ALTER TABLE reconciliation_state ADD COLUMN covered_until timestamptz;
ALTER TABLE reconciliation_state ADD COLUMN covered_by text CHECK (covered_by IN ('dates', 'references'));
