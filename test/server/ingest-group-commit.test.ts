import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { GroupCommitter } from '../../src/server/ingest/group-commit.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewEvent } from '../../src/store/store.js';
import { commitGate, storeWithCommitHook } from '../helpers/gated-store.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { customBody, sendDelivery, signCustom, TEST_SECRETS } from '../helpers/signing.js';
import { delivery } from '../helpers/engine-fixtures.js';

const newEvent = (providerEventId: string): NewEvent => delivery({ source: 'shop', providerEventId });

describe('group commit', () => {
  let store: SqliteStore;
  before(async () => {
    store = SqliteStore.open('sqlite::memory:');
    await store.migrate();
  });
  after(async () => store.close());

  it('writes deliveries submitted together in one transaction, bounded by maxBatch', async () => {
    const batches: number[] = [];
    const committer = new GroupCommitter(store, { maxBatch: 8, onBatch: (size) => batches.push(size) });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => committer.submit(newEvent(`gc-${i}`))));
    assert.deepEqual(batches, [8, 8, 4]);
    const stored = await Promise.all(results.map(async (r) => (await store.getEvent(r.id))?.providerEventId));
    assert.deepEqual(
      stored,
      Array.from({ length: 20 }, (_, i) => `gc-${i}`),
      'each caller gets its own event',
    );
    assert.ok(results.every((r) => !r.duplicate));
    await committer.close();
  });

  it('reports a repeat inside one batch as a duplicate of the first', async () => {
    const committer = new GroupCommitter(store, { windowMs: 0 });
    const [first, second] = await Promise.all([committer.submit(newEvent('same')), committer.submit(newEvent('same'))]);
    assert.equal(first?.duplicate, false);
    assert.equal(second?.duplicate, true);
    assert.equal(second?.id, first?.id);
    await committer.close();
  });

  it('fails every waiter of a batch whose transaction fails, and recovers for the next one', async () => {
    const batches: Array<[number, boolean]> = [];
    const committer = new GroupCommitter(store, { onBatch: (size, _ms, failed) => batches.push([size, failed]) });
    store.database.pragma('query_only = ON'); // a real SQLite write failure (SQLITE_READONLY)
    const outcomes = await Promise.allSettled([1, 2, 3].map((i) => committer.submit(newEvent(`fail-${i}`))));
    store.database.pragma('query_only = OFF');
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.deepEqual(batches, [[3, true]]);
    assert.equal(await store.findEventByProviderId('shop', 'fail-1'), null);
    const later = await committer.submit(newEvent('after-failure'));
    assert.equal(later.duplicate, false);
    await committer.close();
  });

  it('commits up to concurrentBatches batches at once; the rest wait for a free slot', { timeout: 10_000 }, async () => {
    const held: Array<() => void> = [];
    const entered: string[][] = [];
    const gated = storeWithCommitHook(store, async (batch) => {
      entered.push(batch.map((event) => event.providerEventId));
      await new Promise<void>((resolve) => held.push(resolve));
    });
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setImmediate(resolve));
    };
    const committer = new GroupCommitter(gated, { concurrentBatches: 2 });
    const first = committer.submit(newEvent('slot-1'));
    await until(() => entered.length === 1);
    const second = committer.submit(newEvent('slot-2'));
    await until(() => entered.length === 2); // a second batch starts while the first is held
    const third = committer.submit(newEvent('slot-3'));
    const fourth = committer.submit(newEvent('slot-4'));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(entered.length, 2, 'no third batch while two are committing');
    held.shift()?.();
    await first;
    await until(() => entered.length === 3);
    assert.deepEqual(entered[2], ['slot-3', 'slot-4'], 'what waited is the next batch');
    for (const release of held.splice(0)) release();
    await Promise.all([second, third, fourth]);
    await committer.close();
  });

  it('close() commits what is pending', async () => {
    const committer = new GroupCommitter(store, { windowMs: 50 });
    const pending = committer.submit(newEvent('at-close'));
    await committer.close();
    assert.equal((await pending).duplicate, false);
    await assert.rejects(committer.submit(newEvent('after-close')));
  });
});

describe('ingestion when the commit fails', () => {
  let server: IngestServer;
  let store: SqliteStore;
  let logged = '';
  before(async () => {
    store = SqliteStore.open('sqlite::memory:');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    server = await startIngestServer({ store, logger: pino({ level: 'debug' }, sink) });
  });
  after(async () => server.close());

  it('answers 503 (never 200) to every delivery of a failed batch; the provider retry then succeeds', async () => {
    const deliveries = [1, 2, 3].map(() =>
      signCustom({ secret: TEST_SECRETS.custom, body: customBody(), timestampHeader: 'x-webpig-timestamp' }),
    );
    store.database.pragma('query_only = ON');
    const failed = await Promise.all(deliveries.map((d) => sendDelivery(server.baseUrl, 'shop', d)));
    store.database.pragma('query_only = OFF');
    for (const reply of failed) {
      assert.equal(reply.status, 503);
      assert.equal((reply.body.error as { code: string }).code, 'COMMIT_FAILED');
    }
    assert.equal(await store.countEvents({}), 0);
    const retried = await Promise.all(deliveries.map((d) => sendDelivery(server.baseUrl, 'shop', d)));
    assert.deepEqual(
      retried.map((r) => r.body.status),
      ['accepted', 'accepted', 'accepted'],
    );
    assert.equal(await store.countEvents({}), 3);
    const metrics = await server.registry.getSingleMetricAsString('webpig_webhook_commit_failures_total');
    assert.match(metrics, /webpig_webhook_commit_failures_total\{source="shop"\} 3/);
    assert.match(logged, /could not commit a delivery/);
    // (The ePayco customer id is public and short enough to appear by chance in a timestamp.)
    const secrets = Object.entries(TEST_SECRETS).filter(([name]) => name !== 'epaycoCustomerId');
    for (const [name, secret] of secrets) assert.ok(!logged.includes(secret), `${name} is not in the logs`);
  });
});

describe('the reply waits for the commit', () => {
  /**
   * A server whose commits wait at a gate, and one delivery sent to it: resolves once that
   * delivery's commit is waiting. `settled()` tells whether its reply has arrived yet.
   */
  async function deliveryHeldAtCommit() {
    const real = SqliteStore.open('sqlite::memory:');
    const gate = commitGate();
    const server = await startIngestServer({ store: storeWithCommitHook(real, gate.hook) });
    let replied = false;
    const signed = signCustom({ secret: TEST_SECRETS.custom, body: customBody(), timestampHeader: 'x-webpig-timestamp' });
    const reply = sendDelivery(server.baseUrl, 'shop', signed).finally(() => (replied = true));
    await gate.entered;
    return { real, gate, server, reply, settled: () => replied };
  }

  it('no reply while the transaction is open; 200 once it has committed', async () => {
    const { real, gate, server, reply: replied, settled } = await deliveryHeldAtCommit();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(settled(), false, 'no reply before the commit');
      assert.equal(await real.countEvents({}), 0);
      gate.open();
      const reply = await replied;
      assert.equal(reply.status, 200);
      assert.equal(reply.body.status, 'accepted');
      assert.equal((await real.getEvent(reply.body.id as number))?.source, 'shop', 'what was acknowledged is stored');
    } finally {
      await server.close();
    }
  });

  it('a commit that fails after a wait is a 503, not a 200', async () => {
    const { real, gate, server, reply: replied, settled } = await deliveryHeldAtCommit();
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(settled(), false);
      gate.fail(new Error('disk full'));
      const reply = await replied;
      assert.equal(reply.status, 503);
      assert.equal(await real.countEvents({}), 0);
    } finally {
      await server.close();
    }
  });
});

describe('a delivery the database refuses', () => {
  it('fails alone: the deliveries committed beside it are stored', async () => {
    const real = SqliteStore.open('sqlite::memory:');
    await real.migrate();
    // The store refuses any commit holding the poisoned delivery, as a database would.
    const store = storeWithCommitHook(real, async (batch) => {
      if (batch.some((event) => event.providerEventId === 'poison')) throw new Error('value too long for the index');
    });
    const batches: Array<[number, boolean]> = [];
    const committer = new GroupCommitter(store, { onBatch: (size, _ms, failed) => batches.push([size, failed]) });
    try {
      const outcomes = await Promise.allSettled(['a', 'poison', 'b'].map((id) => committer.submit(newEvent(id))));
      assert.deepEqual(batches, [[3, true]], 'they were one batch');
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.ok((await real.findEventByProviderId('shop', 'a')) && (await real.findEventByProviderId('shop', 'b')));
      assert.equal(await real.findEventByProviderId('shop', 'poison'), null);
    } finally {
      await committer.close();
      await real.close();
    }
  });

  it('an identity too long to index is refused with 400 and stores nothing', async () => {
    const server = await startIngestServer();
    try {
      const signed = signCustom({
        secret: TEST_SECRETS.custom,
        body: customBody({ id: 'x'.repeat(3000) }),
        timestampHeader: 'x-webpig-timestamp',
      });
      const reply = await sendDelivery(server.baseUrl, 'shop', signed);
      assert.equal(reply.status, 400);
      assert.match((reply.body.error as { message: string }).message, /event id is longer than 1024 bytes/);
      assert.equal(await server.store.countEvents({}), 0);
      const [logged] = await server.store.listRejections(1);
      assert.match(logged?.reason ?? '', /^MALFORMED_BODY/);
    } finally {
      await server.close();
    }
  });
});
