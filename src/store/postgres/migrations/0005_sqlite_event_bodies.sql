-- Intentionally empty. Version 5 is SQLite's `event_bodies` table (a body written once, kept out
-- of the rows SQLite rewrites on every UPDATE); PostgreSQL keeps bodies out of line by itself
-- (TOAST), so it needs no change. The file exists because versions count 1, 2, 3… with no gap,
-- and keeps both dialects on the same version numbers.
SELECT 1;
