-- webpig_write_checkpoints (0012) with each section of the batch document read once and written
-- in one statement: the lock and the fence one statement (was three, the writes read twice),
-- an outcome's checkpoint and attempt one statement (was two, the outcomes read twice), a
-- mark's checkpoint and attempt one statement (was two). Same arguments, same result, same
-- order of effects; the statements merged write different tables, so one snapshot for both
-- changes nothing (ARCHITECTURE.md, "Checkpoint batches": why the sections stay separate
-- statements). Every statement of a PL/pgSQL function pays its executor's start, and every
-- jsonb_to_recordset its parse: on 2 shared CPUs PostgreSQL's time in this function bounds the
-- pipeline at concurrency 32 (bench/README.md).
--
-- `batch`: as in 0012_checkpoint_write_function.sql.
CREATE OR REPLACE FUNCTION webpig_write_checkpoints(batch jsonb, wake_channel text)
RETURNS TABLE (fenced_id bigint, event events)
LANGUAGE plpgsql AS $fn$
DECLARE
  fenced bigint[];
  moved bigint;
BEGIN
  -- The write must be durable when the call returns, whatever the session was left at (the
  -- claim's transaction turns it off with SET LOCAL; this is a transaction of its own).
  IF current_setting('synchronous_commit') = 'off' THEN
    PERFORM set_config('synchronous_commit', 'on', true);
  END IF;

  -- Lock the batch's events in id order: two batches (a worker that lost a lease and the one
  -- that took it) then never wait on each other in a cycle. Then the fence, per write.
  fenced := ARRAY(
    WITH w AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(batch->'writes') AS w(event_id bigint, lease_owner text, at timestamptz)
    ), locked AS (
      -- FOR UPDATE returns each row as it is once locked (its newest version), as the fence's
      -- own statement after the lock read it.
      SELECT e.id, e.status, e.lease_owner, e.lease_expires_at FROM events e
       WHERE e.id IN (SELECT w.event_id FROM w)
       ORDER BY e.id
         FOR UPDATE
    )
    SELECT w.event_id FROM w LEFT JOIN locked e ON e.id = w.event_id
     WHERE e.id IS NULL OR e.status <> 'processing' OR e.lease_owner IS DISTINCT FROM w.lease_owner
        OR e.lease_expires_at IS NULL OR e.lease_expires_at <= w.at);

  -- Each part only when the batch has some: an idle worker's write is one mark, and every
  -- statement costs its executor's start even with nothing to do.
  IF jsonb_array_length(batch->'summaries') > 0 THEN
    -- Merged in JS from the row read before this call; if the row changed since, the whole
    -- call is refused (the caller then applies the writes one by one, under the row lock).
    SELECT s.event_id INTO moved
      FROM jsonb_to_recordset(batch->'summaries') AS s(event_id bigint, base jsonb)
      JOIN events e ON e.id = s.event_id
     WHERE s.event_id <> ALL(fenced) AND e.summary IS DISTINCT FROM s.base
     LIMIT 1;
    IF moved IS NOT NULL THEN
      RAISE EXCEPTION 'summary of event % changed since it was read', moved USING ERRCODE = 'WP001';
    END IF;
  END IF;

  -- The outcomes, then the attempts their `processing` marks opened (a skip, or a recovery,
  -- that never started adds one).
  IF jsonb_array_length(batch->'outcomes') > 0 THEN
    WITH u AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(batch->'outcomes') AS u(n int, event_id bigint, stage text, status text, attempt int,
               started_at timestamptz, completed_at timestamptz, duration_ms float8, data jsonb, error jsonb,
               skip_reason jsonb, note text)
       WHERE u.event_id <> ALL(fenced)
    ), saved AS (
      INSERT INTO checkpoints (event_id, stage, status, attempts, started_at, completed_at, duration_ms, data, error, skip_reason, updated_at)
      SELECT u.event_id, u.stage, u.status, u.attempt, u.started_at, u.completed_at, u.duration_ms, u.data, u.error, u.skip_reason, u.completed_at
        FROM u ORDER BY u.n
      ON CONFLICT (event_id, stage) DO UPDATE SET
        status = excluded.status, attempts = GREATEST(checkpoints.attempts, excluded.attempts),
        started_at = excluded.started_at, completed_at = excluded.completed_at, duration_ms = excluded.duration_ms,
        data = excluded.data, error = excluded.error, skip_reason = excluded.skip_reason, updated_at = excluded.updated_at
    ), closed AS (
      UPDATE checkpoint_attempts a SET status = u.status, completed_at = u.completed_at, duration_ms = u.duration_ms,
             error = u.error, note = COALESCE(u.note, a.note)
        FROM u
       WHERE a.id = (SELECT max(x.id) FROM checkpoint_attempts x
                      WHERE x.event_id = u.event_id AND x.stage = u.stage AND x.attempt = u.attempt AND x.status = 'processing')
      RETURNING u.n
    )
    -- A skip, or a recovery, that never started: its attempt row is added (its checkpoint, added
    -- by `saved` in this statement, is visible to the foreign key's check at the statement's end).
    INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, completed_at, duration_ms, error, note)
    SELECT u.event_id, u.stage, u.attempt, u.status, COALESCE(u.started_at, u.completed_at), u.completed_at, u.duration_ms, u.error, u.note
      FROM u WHERE u.n NOT IN (SELECT closed.n FROM closed)
     ORDER BY u.n;
  END IF;

  IF jsonb_array_length(batch->'summaries') > 0 THEN
    UPDATE events e SET summary = s.summary, search_text = s.search_text
      FROM jsonb_to_recordset(batch->'summaries') AS s(event_id bigint, summary jsonb, search_text text)
     WHERE e.id = s.event_id AND s.event_id <> ALL(fenced);
  END IF;

  IF jsonb_array_length(batch->'logs') > 0 THEN
    INSERT INTO event_logs (event_id, at, level, stage, message, fields, attempt)
    SELECT l.event_id, l.at, l.level, l.stage, l.message, l.fields, l.attempt
      FROM jsonb_to_recordset(batch->'logs') AS l(n int, event_id bigint, at timestamptz, level text, stage text, message text, fields jsonb, attempt int)
     WHERE l.event_id <> ALL(fenced)
     ORDER BY l.n;
  END IF;

  IF jsonb_array_length(batch->'exchanges') > 0 THEN
    INSERT INTO stage_exchanges (event_id, stage, attempt, at, request, response, error, duration_ms)
    SELECT x.event_id, x.stage, x.attempt, x.at, x.request, x.response, x.error, x.duration_ms
      FROM jsonb_to_recordset(batch->'exchanges') AS x(n int, event_id bigint, stage text, attempt int, at timestamptz,
             request jsonb, response jsonb, error text, duration_ms int)
     WHERE x.event_id <> ALL(fenced)
     ORDER BY x.n;
  END IF;

  -- The next stages' `processing` marks: the checkpoint, and the attempt it opens.
  IF jsonb_array_length(batch->'starts') > 0 THEN
    WITH s AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(batch->'starts') AS s(n int, event_id bigint, stage text, attempt int, started_at timestamptz, note text)
       WHERE s.event_id <> ALL(fenced)
    ), marked AS (
      INSERT INTO checkpoints (event_id, stage, status, attempts, started_at, updated_at)
      SELECT s.event_id, s.stage, 'processing', s.attempt, s.started_at, s.started_at
        FROM s ORDER BY s.n
      ON CONFLICT (event_id, stage) DO UPDATE SET
        status = 'processing', attempts = excluded.attempts,
        started_at = excluded.started_at, completed_at = NULL, duration_ms = NULL,
        error = NULL, skip_reason = NULL, updated_at = excluded.updated_at
    )
    INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, note)
    SELECT s.event_id, s.stage, s.attempt, 'processing', s.started_at, s.note
      FROM s ORDER BY s.n;
  END IF;

  -- The finishes (fields the caller left unset keep what the event had), the alerts they make
  -- moot, and the wake-up when one puts its event back in the queue: NOTIFY is delivered only
  -- if this transaction commits.
  IF jsonb_array_length(batch->'finishes') > 0 THEN
    RETURN QUERY
    WITH finished AS (
      UPDATE events e SET status = f.status, next_attempt_at = f.next_attempt_at,
             last_error = CASE WHEN f.keep_last_error THEN e.last_error ELSE f.last_error END,
             ignore_reason = CASE WHEN f.keep_ignore_reason THEN e.ignore_reason ELSE f.ignore_reason END,
             pipeline = CASE WHEN f.keep_pipeline THEN e.pipeline ELSE f.pipeline END,
             lease_owner = NULL, lease_expires_at = NULL, updated_at = f.now
        FROM jsonb_to_recordset(batch->'finishes') AS f(event_id bigint, status text, next_attempt_at timestamptz,
               keep_last_error boolean, last_error jsonb, keep_ignore_reason boolean, ignore_reason jsonb,
               keep_pipeline boolean, pipeline text, now timestamptz)
       WHERE e.id = f.event_id AND f.event_id <> ALL(fenced)
      RETURNING e
    )
    SELECT NULL::bigint, finished.e FROM finished;

    UPDATE alerts a SET resolved_at = f.now
      FROM jsonb_to_recordset(batch->'finishes') AS f(event_id bigint, now timestamptz, resolve_alerts jsonb)
     WHERE a.event_id = f.event_id AND f.event_id <> ALL(fenced) AND a.resolved_at IS NULL
       AND a.kind IN (SELECT jsonb_array_elements_text(f.resolve_alerts));

    IF EXISTS (SELECT 1 FROM jsonb_to_recordset(batch->'finishes') AS f(event_id bigint, status text)
                WHERE f.status IN ('retrying', 'queued') AND f.event_id <> ALL(fenced)) THEN
      PERFORM pg_notify(wake_channel, '');
    END IF;
  END IF;

  RETURN QUERY SELECT f, NULL::events FROM unnest(fenced) AS f;
END
$fn$;
