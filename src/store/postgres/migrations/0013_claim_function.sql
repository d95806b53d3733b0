-- The claim (Store.claimNextEvents) in ONE statement, so in one round trip: called in
-- autocommit it is one transaction with no BEGIN, SET LOCAL or COMMIT of its own. It replaces
-- four round trips (BEGIN + SET LOCAL, the candidates, the UPDATE, COMMIT) that were a third
-- of an idle worker's receipt -> first stage on PostgreSQL. The same statements, in the same
-- order, as the multi-statement claim in claims.ts; why they are safe: ARCHITECTURE.md,
-- "Rule 1" and "Rule 2".
--
--   owners       the lease owners, one a free slot; claimed event i is owners[i]'s
--   now_at       the caller's clock (runnable, live-lease and blocker tests)
--   lease_until  the new leases' expiry
-- Returns the claimed events with their owner's position (n, from 1), fewer than owners when
-- nothing more is runnable now.
CREATE OR REPLACE FUNCTION webpig_claim_events(owners text[], now_at timestamptz, lease_until timestamptz)
RETURNS TABLE (n bigint, event events)
LANGUAGE plpgsql AS $fn$
DECLARE
  -- Candidates examined per claim before giving up until the next wake-up.
  max_candidates CONSTANT int := 50;
  examined int := 0;
  wanted int;
  chosen bigint[] := '{}';
  skipped_keys text[] := '{}';
  cand_ids bigint[];
  cand_keys text[];
  busy text[];
  blocked text[];
  claimed int;
BEGIN
  -- Unflushed, as the claim transaction always was: the run's first `processing` mark is a
  -- synchronous commit, and WAL is flushed in order (claims.ts, claimNextEvents).
  PERFORM set_config('synchronous_commit', 'off', true);

  WHILE cardinality(chosen) < cardinality(owners) AND examined < max_candidates LOOP
    wanted := cardinality(owners) - cardinality(chosen);
    -- Rule 1: candidates locked with SKIP LOCKED; a keyed one only if nothing of its entity
    -- is earlier and unfinished or holds a live lease (in this statement's snapshot).
    SELECT coalesce(array_agg(c.id ORDER BY c.runnable_at, c.received_at, c.id), '{}'),
           coalesce(array_agg(c.entity_key ORDER BY c.runnable_at, c.received_at, c.id), '{}')
      INTO cand_ids, cand_keys
      FROM (SELECT e.id, e.entity_key, e.runnable_at, e.received_at FROM events e
             WHERE e.runnable_at <= now_at AND e.id <> ALL(chosen)
               AND (e.entity_key IS NULL OR (NOT e.entity_key = ANY(skipped_keys) AND NOT EXISTS (
                     SELECT 1 FROM events o
                      WHERE o.entity_key = e.entity_key AND o.id <> e.id AND o.status IN ('queued', 'processing', 'retrying')
                        AND ((o.occurred_at, o.received_at, o.id) < (e.occurred_at, e.received_at, e.id)
                             OR (o.status = 'processing' AND o.lease_expires_at > now_at)))))
             ORDER BY e.runnable_at, e.received_at, e.id
             LIMIT wanted
             FOR UPDATE OF e SKIP LOCKED) c;
    examined := examined + cardinality(cand_ids);
    busy := '{}';
    blocked := '{}';

    -- Rule 2, for the keyed candidates: their entity locks in one statement (a key another
    -- claimer is deciding about is skipped), then the re-check in a NEW statement, so a new
    -- snapshot that sees every claim of those entities committed before we got the locks.
    IF EXISTS (SELECT 1 FROM unnest(cand_keys) AS k(key) WHERE k.key IS NOT NULL) THEN
      SELECT coalesce(array_agg(l.key) FILTER (WHERE NOT l.locked), '{}') INTO busy
        FROM (SELECT k.key, pg_try_advisory_xact_lock(hashtextextended('webpig:' || k.key, 0)) AS locked
                FROM unnest(cand_keys) WITH ORDINALITY AS k(key, i)
               WHERE k.key IS NOT NULL ORDER BY k.i) l;
      SELECT coalesce(array_agg(e.entity_key), '{}') INTO blocked
        FROM events e
       WHERE e.id = ANY(cand_ids) AND e.entity_key IS NOT NULL AND NOT e.entity_key = ANY(busy)
         AND EXISTS (
           SELECT 1 FROM events o
            WHERE o.entity_key = e.entity_key AND o.id <> e.id AND o.status IN ('queued', 'processing', 'retrying')
              AND ((o.occurred_at, o.received_at, o.id) < (e.occurred_at, e.received_at, e.id)
                   OR (o.status = 'processing' AND o.lease_expires_at > now_at)));
      skipped_keys := skipped_keys || busy || blocked;
    END IF;

    chosen := chosen || ARRAY(
      SELECT c.id FROM unnest(cand_ids, cand_keys) WITH ORDINALITY AS c(id, key, i)
       WHERE c.key IS NULL OR NOT (c.key = ANY(busy || blocked))
       ORDER BY c.i);
    -- Fewer than asked and none skipped: the queue has nothing more runnable now.
    EXIT WHEN cardinality(cand_ids) < wanted AND cardinality(busy) + cardinality(blocked) = 0;
    EXIT WHEN cardinality(cand_ids) = 0;
  END LOOP;

  IF cardinality(chosen) = 0 THEN
    RETURN;
  END IF;
  RETURN QUERY
  WITH claimed_rows AS (
    UPDATE events e SET status = 'processing', lease_owner = u.owner, lease_expires_at = lease_until,
           attempts = e.attempts + 1, updated_at = now_at
      FROM unnest(chosen, owners[1:cardinality(chosen)]) WITH ORDINALITY AS u(id, owner, i)
     WHERE e.id = u.id
    RETURNING u.i, e
  )
  SELECT claimed_rows.i, claimed_rows.e FROM claimed_rows ORDER BY claimed_rows.i;
  GET DIAGNOSTICS claimed = ROW_COUNT;
  IF claimed <> cardinality(chosen) THEN
    RAISE EXCEPTION 'claimed events % could not all be updated', chosen USING ERRCODE = 'WP002';
  END IF;
END
$fn$;
