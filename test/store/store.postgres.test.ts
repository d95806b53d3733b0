import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLostError, MigrationError, StoreError } from '../../src/core/errors.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { postgresMigrations } from '../../src/store/postgres/migrate.js';
import { openStore } from '../../src/store/open.js';
import { at, newEvent, openMigrated, postgresSkip, postgresUrl, queryIn, schemaUrl, withTestSchema } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

const ALL = postgresMigrations().map((m) => m.name);
const LATEST = postgresMigrations().length;

const skip = await postgresSkip();

if (skip === false) {
  // One fresh schema per contract test; all dropped after the file, or all kept if a test failed.
  const contractSchemas = withTestSchema();
  storeContract('postgres', async () => {
    const { url, schema } = await contractSchemas.create();
    const store = await PostgresStore.open(url, { poolSize: 4 });
    return {
      store,
      cleanup: () => store.close(),
      wakeListening: () => store.wakeReady(),
      recordAppliedMigration: async (version, name) => {
        await queryIn(schema, 'INSERT INTO webpig_migrations (version, name) VALUES ($1, $2)', [version, name]);
      },
      writeLeaseOnRow: async (eventId, owner, expiresAt) => {
        await queryIn(schema, 'UPDATE events SET lease_owner = $2, lease_expires_at = $3 WHERE id = $1', [eventId, owner, expiresAt]);
      },
    };
  });
} else {
  describe('Store contract: postgres', { skip }, () => {
    it('runs the shared Store contract on PostgreSQL', () => undefined);
  });
}

describe('PostgresStore: migrations', { skip }, () => {
  const schemas = withTestSchema();

  it('migrating twice is a no-op the second time', async () => {
    const { url, schema } = await schemas.create();
    const store = await PostgresStore.open(url);
    try {
      assert.deepEqual(await store.migrate(), { applied: ALL, current: LATEST });
      await store.insertEvent(newEvent('kept'));
      assert.deepEqual(await store.migrate(), { applied: [], current: LATEST });
      const versions = await queryIn<{ version: number }>(schema, 'SELECT version FROM webpig_migrations ORDER BY version');
      assert.deepEqual(
        versions,
        ALL.map((_, i) => ({ version: i + 1 })),
      );
      assert.ok(await store.findEventByProviderId('stripe', 'kept'), 'the second migrate kept the data');
    } finally {
      await store.close();
    }
  });

  it('two stores migrating the same empty schema at once both succeed and create it once', async () => {
    // The schema does not exist yet: creating it is part of what races.
    const schema = schemas.name();
    const stores = await Promise.all([0, 1, 2].map(() => PostgresStore.open(schemaUrl(schema))));
    try {
      const results = await Promise.all(stores.map((s) => s.migrate()));
      assert.deepEqual(results.flatMap((r) => r.applied).sort(), ALL, 'each migration applied by exactly one migrator');
      assert.ok(results.every((r) => r.current === LATEST));
      const versions = await queryIn<{ version: number }>(schema, 'SELECT version FROM webpig_migrations ORDER BY version');
      assert.deepEqual(
        versions,
        ALL.map((_, i) => ({ version: i + 1 })),
      );
      const stored = await stores[1]!.insertEvent(newEvent('after-race'));
      assert.equal(stored.duplicate, false);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a database newer than the code with SCHEMA_TOO_NEW', async () => {
    const { url, schema } = await schemas.create();
    const store = await openMigrated(url);
    try {
      await queryIn(schema, "INSERT INTO webpig_migrations (version, name) VALUES (9999, '9999_future')");
      await assert.rejects(store.migrate(), (err: unknown) => err instanceof MigrationError && err.code === 'SCHEMA_TOO_NEW');
    } finally {
      await store.close();
    }
  });

  it('takes the schema from ?schema= in the URL and rejects an unsafe one', async () => {
    const { url, schema } = await schemas.create();
    const store = await openMigrated(url);
    try {
      assert.equal(store.schema, schema);
      const tables = await queryIn<{ n: number }>(
        schema,
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'events'",
        [schema],
      );
      assert.deepEqual(tables, [{ n: 1 }]);
    } finally {
      await store.close();
    }
    await assert.rejects(PostgresStore.open(postgresUrl(), { schema: 'x"; DROP TABLE y; --' }), {
      code: 'DATABASE_SCHEMA_INVALID',
    });
  });

  it('0003 turns a product stored as a bare name into { name }, leaving other summaries alone', async () => {
    const { url, schema } = await schemas.create();
    const store = await openMigrated(url);
    try {
      const legacy = await store.insertEvent(newEvent('legacy', { summary: { amount: 5 } }));
      const current = await store.insertEvent(newEvent('current', { summary: { product: { name: 'Curso', id: 'C-1' } } }));
      const none = await store.insertEvent(newEvent('none', { summary: { amount: 7 } }));
      // What an older webpig wrote, then the database as it was before 0003.
      await queryIn(schema, `UPDATE events SET summary = '{"product":"Plan anual","amount":5}'::jsonb WHERE id = $1`, [legacy.event.id]);
      await queryIn(schema, 'DELETE FROM webpig_migrations WHERE version >= 3');
      await queryIn(schema, 'DROP TABLE login_links'); // made by 0004, which runs again after 0003
      // Made by 0006, which runs again too (0005 is SQLite's event bodies, a no-op here).
      await queryIn(schema, 'ALTER TABLE alerts DROP COLUMN acknowledged_at, DROP COLUMN acknowledged_by, DROP COLUMN ack_reason');
      await queryIn(schema, 'DROP INDEX alerts_open_by_event_idx');
      // Made by 0007 (stage exchanges, the log line's attempt).
      await queryIn(schema, 'DROP TABLE stage_exchanges');
      await queryIn(schema, 'ALTER TABLE event_logs DROP COLUMN attempt');
      // Made by 0008 (its indexes go with the columns).
      await queryIn(
        schema,
        `ALTER TABLE alerts DROP COLUMN subject, DROP COLUMN occurrences, DROP COLUMN last_seen_at, DROP COLUMN resolve_forwarded_at,
           DROP COLUMN muted_at, DROP COLUMN muted_until, DROP COLUMN muted_by, DROP COLUMN mute_reason`,
      );
      await queryIn(schema, 'ALTER TABLE events DROP COLUMN handled_at, DROP COLUMN handled_by, DROP COLUMN handled_reason'); // 0009
      // Made by 0010 (reconciliation).
      await queryIn(schema, 'ALTER TABLE events DROP COLUMN origin');
      await queryIn(schema, 'DROP TABLE reconciliation_state');
      assert.deepEqual(await store.migrate(), { applied: ALL.slice(2), current: LATEST });
      assert.deepEqual((await store.getEvent(legacy.event.id))?.summary, { product: { name: 'Plan anual' }, amount: 5 });
      assert.deepEqual((await store.getEvent(current.event.id))?.summary, { product: { name: 'Curso', id: 'C-1' } });
      assert.deepEqual((await store.getEvent(none.event.id))?.summary, { amount: 7 });
    } finally {
      await store.close();
    }
  });

  it('is what openStore() opens for a postgres:// URL', async () => {
    const { url, schema } = await schemas.create();
    const store = await openStore(url);
    try {
      assert.equal(store.dialect, 'postgres');
      assert.ok(store instanceof PostgresStore);
      assert.equal(store.schema, schema);
      assert.deepEqual(await store.migrate(), { applied: ALL, current: LATEST });
    } finally {
      await store.close();
    }
  });
});

describe('PostgresStore: events, claims and leases', { skip }, () => {
  const schemas = withTestSchema();

  it('stores exact bytes and types, and dedupes inside and across batches', async () => {
    const store = await openMigrated((await schemas.create()).url);
    try {
      const raw = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x7d]);
      const [first, again, other] = await store.insertEvents([
        newEvent('a', { rawBody: raw, payload: [1, 'two', { three: null }], entityKey: 'order-1' }),
        newEvent('a'),
        newEvent('b'),
      ]);
      assert.equal(first!.duplicate, false);
      assert.equal(again!.duplicate, true);
      assert.equal(again!.event.id, first!.event.id);
      assert.equal(other!.duplicate, false);
      assert.equal(typeof first!.event.id, 'number');
      assert.deepEqual(first!.event.rawBody, raw);
      assert.deepEqual(first!.event.payload, [1, 'two', { three: null }]);
      assert.ok(first!.event.occurredAt instanceof Date);
      assert.equal(first!.event.status, 'queued');
      const repeat = await store.insertEvent(newEvent('b'));
      assert.equal(repeat.duplicate, true);
      assert.equal(repeat.event.id, other!.event.id);
      assert.equal(await store.countEvents({}), 2);
    } finally {
      await store.close();
    }
  });

  it('claims one entity in occurrence order and never while another of its events is leased', async () => {
    const store = await openMigrated((await schemas.create()).url);
    try {
      // Received in the opposite order to what happened.
      await store.insertEvent(newEvent('later', { entityKey: 'pay-1', occurredAt: at(10) }));
      await store.insertEvent(newEvent('earlier', { entityKey: 'pay-1', occurredAt: at(5) }));
      const now = at(100);
      const first = await store.claimNextEvent({ workerId: 'w1', leaseMs: 30_000, now });
      assert.equal(first?.providerEventId, 'earlier');
      assert.equal(first?.attempts, 1);
      assert.equal(await store.claimNextEvent({ workerId: 'w2', leaseMs: 30_000, now }), null);
      await store.finishEvent({ eventId: first!.id, leaseOwner: 'w1', status: 'succeeded', now });
      const second = await store.claimNextEvent({ workerId: 'w2', leaseMs: 30_000, now });
      assert.equal(second?.providerEventId, 'later');
    } finally {
      await store.close();
    }
  });

  it('refuses fenced writes after the lease is lost, writing nothing', async () => {
    const store = await openMigrated((await schemas.create()).url);
    try {
      const { event } = await store.insertEvent(newEvent('e1', { entityKey: 'k' }));
      const claimed = await store.claimNextEvent({ workerId: 'w1', leaseMs: 1000, now: at(0) });
      assert.equal(claimed?.id, event.id);
      // The lease expired; another worker took the event over.
      const stolen = await store.claimNextEvent({ workerId: 'w2', leaseMs: 1000, now: at(5) });
      assert.equal(stolen?.id, event.id);
      assert.equal(stolen?.attempts, 2);
      await assert.rejects(
        store.recordStageStart({ eventId: event.id, stage: 'invoice', leaseOwner: 'w1', attempt: 1, startedAt: at(5.1) }),
        LeaseLostError,
      );
      await assert.rejects(store.finishEvent({ eventId: event.id, leaseOwner: 'w1', status: 'succeeded', now: at(5.2) }), LeaseLostError);
      assert.equal(await store.renewLease(event.id, 'w1', 1000, at(5.3)), false);
      assert.deepEqual(await store.getCheckpoints(event.id), []);
      assert.equal((await store.getEvent(event.id))?.leaseOwner, 'w2');
      assert.equal(await store.renewLease(event.id, 'w2', 1000, at(5.4)), true);
      await store.recordStageStart({ eventId: event.id, stage: 'invoice', leaseOwner: 'w2', attempt: 1, startedAt: at(5.5) });
      await store.recordStageOutcome({
        eventId: event.id,
        stage: 'invoice',
        leaseOwner: 'w2',
        outcome: { status: 'success', data: { invoice: 'FV-1' } },
        attempt: 1,
        startedAt: at(5.5),
        completedAt: at(6),
        summaryPatch: { customer: { name: 'Ana' } },
        logs: [{ at: at(5.9), level: 'info', stage: 'invoice', message: 'created', fields: { id: 'FV-1' } }],
      });
      const [checkpoint] = await store.getCheckpoints(event.id);
      assert.equal(checkpoint?.status, 'success');
      assert.deepEqual(checkpoint?.data, { invoice: 'FV-1' });
      assert.equal(checkpoint?.durationMs, 500);
      assert.deepEqual(
        checkpoint?.history.map((h) => [h.attempt, h.status]),
        [[1, 'success']],
      );
      assert.deepEqual((await store.getEvent(event.id))?.summary, { customer: { name: 'Ana' } });
      assert.equal((await store.getEventLogs(event.id))[0]?.message, 'created');
    } finally {
      await store.close();
    }
  });

  it('requeues only dead or retrying events', async () => {
    const store = await openMigrated((await schemas.create()).url);
    try {
      const { event } = await store.insertEvent(newEvent('r1'));
      await assert.rejects(
        store.requeueEvent(event.id, at(1)),
        (err: unknown) => err instanceof StoreError && err.code === 'NOT_RETRIABLE',
      );
      assert.equal(await store.requeueEvent(999_999, at(1)), null);
      const claimed = await store.claimNextEvent({ workerId: 'w', leaseMs: 10_000, now: at(1) });
      await store.finishEvent({
        eventId: claimed!.id,
        leaseOwner: 'w',
        status: 'dead',
        now: at(2),
        lastError: { message: 'no', retriable: false },
      });
      const requeued = await store.requeueEvent(event.id, at(3));
      assert.equal(requeued?.status, 'queued');
      assert.equal(requeued?.manualRetries, 1);
      assert.deepEqual(await store.nextWakeAt(), at(3));
    } finally {
      await store.close();
    }
  });
});
