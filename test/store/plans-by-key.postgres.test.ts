/**
 * PostgreSQL-only: the worker's two functions (the claim, the checkpoint writes) keep probing
 * indexes when their tables grew after their plans were cached (migration 0015).
 *
 * PL/pgSQL keeps a statement's generic plan for the connection's life after its first five
 * calls; only ANALYZE or DDL replaces it. A worker that starts on empty tables (a new install)
 * planned the fence, the outcomes' attempt look-up and the finish as scans of the whole table,
 * then kept those plans while the tables grew: each call read every row (bench/pipeline.ts at
 * 16,000 events ran at a fifth of its speed at 2,000).
 *
 * The test reproduces that order on one connection: the functions called often enough on
 * empty tables for their plans to be cached, the tables grown on that same connection (no
 * ANALYZE: autovacuum off for them), then more claims and writes. The rows PostgreSQL read by
 * sequential scans of those tables during the last calls (pg_stat_user_tables.seq_tup_read,
 * flushed with pg_stat_force_next_flush) must be none.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import type { CheckpointWrite } from '../../src/store/store.js';
import { writeCheckpointsInOneCall } from '../../src/store/postgres/checkpoint-bulk.js';
import { claimEventsInOneCall } from '../../src/store/postgres/claim-call.js';
import { clientConfig, resolveTarget, wakeChannel } from '../../src/store/postgres/connection.js';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { at, newEvent, openMigrated, postgresSkip, queryIn, withTestSchema } from '../helpers/postgres.js';

const TABLES = ['events', 'checkpoints', 'checkpoint_attempts'] as const;

/** One event through the two functions as a worker runs it: claim, mark, outcome + mark, outcome + finish. */
async function runOneEvent(store: PostgresStore, session: pg.Pool, channel: string, name: string): Promise<void> {
  const { event } = await store.insertEvent(newEvent(name));
  const owner = `w-${name}`;
  const claimed = await claimEventsInOneCall(session, { workerIds: [owner], leaseMs: 3_600_000, now: at(1) });
  assert.deepEqual(
    claimed.map((e) => e.id),
    [event.id],
    `the claim took ${name}`,
  );
  const success = (stage: string, second: number): CheckpointWrite['outcomes'][number] => ({
    eventId: event.id,
    stage,
    leaseOwner: owner,
    attempt: 1,
    startedAt: at(second - 1),
    completedAt: at(second),
    outcome: { status: 'success', data: null },
  });
  const writes: CheckpointWrite[] = [
    {
      eventId: event.id,
      leaseOwner: owner,
      outcomes: [],
      start: { eventId: event.id, stage: 's1', leaseOwner: owner, attempt: 1, startedAt: at(2) },
    },
    {
      eventId: event.id,
      leaseOwner: owner,
      outcomes: [success('s1', 3)],
      start: { eventId: event.id, stage: 's2', leaseOwner: owner, attempt: 1, startedAt: at(3) },
    },
    {
      eventId: event.id,
      leaseOwner: owner,
      outcomes: [success('s2', 4)],
      finish: { eventId: event.id, leaseOwner: owner, status: 'succeeded', now: at(4) },
    },
  ];
  for (const write of writes) {
    const { results } = await writeCheckpointsInOneCall(session, channel, [write]);
    assert.equal(results[0]?.ok, true, `a write of ${name} was refused`);
  }
}

/** Rows read by sequential scans so far, per table, once `session` has flushed its counts. */
async function rowsScanned(schema: string, session: pg.Pool): Promise<Record<string, number>> {
  // Flushed when the backend next goes idle, which is before this call returns.
  await session.query('SELECT pg_stat_force_next_flush()');
  const rows = await queryIn<{ relname: string; read: string }>(
    schema,
    'SELECT relname, coalesce(seq_tup_read, 0) AS read FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ANY($1)',
    [TABLES],
  );
  return Object.fromEntries(rows.map((r) => [r.relname, Number(r.read)]));
}

describe('PostgreSQL worker functions: plans cached on empty tables', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  it('still find rows by key after the tables grew (no rows read by whole-table scans)', async () => {
    const { url, schema } = await schemas.create();
    const store = await openMigrated(url);
    // One connection: the plans these calls cache are the ones the later calls use.
    const session = new pg.Pool({ ...clientConfig(resolveTarget(url)), max: 1 });
    try {
      for (const table of TABLES) await queryIn(schema, `ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      const channel = wakeChannel(schema);
      for (let i = 0; i < 8; i++) await runOneEvent(store, session, channel, `early-${i}`);

      // A store that has run a while: 20,000 finished events with five stages each.
      await session.query(`
        INSERT INTO events (source, provider_event_id, type, occurred_at, received_at, raw_body, payload, status, updated_at)
        SELECT 'filler', 'f' || g, 't', now(), now(), '\\x', '{}', 'succeeded', now() FROM generate_series(1, 20000) g`);
      await session.query(`
        INSERT INTO checkpoints (event_id, stage, status, attempts, updated_at)
        SELECT e.id, 's' || k, 'success', 1, now() FROM events e, generate_series(1, 5) k WHERE e.source = 'filler'`);
      await session.query(`
        INSERT INTO checkpoint_attempts (event_id, stage, attempt, status, started_at, completed_at)
        SELECT e.id, 's' || k, 1, 'success', now(), now() FROM events e, generate_series(1, 5) k WHERE e.source = 'filler'`);

      const before = await rowsScanned(schema, session);
      for (let i = 0; i < 4; i++) await runOneEvent(store, session, channel, `late-${i}`);
      const after = await rowsScanned(schema, session);

      const scanned = Object.fromEntries(TABLES.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
      assert.deepEqual(
        scanned,
        { events: 0, checkpoints: 0, checkpoint_attempts: 0 },
        'rows read by whole-table scans in the last 4 events',
      );
    } finally {
      await session.end();
      await store.close();
    }
  });
});
