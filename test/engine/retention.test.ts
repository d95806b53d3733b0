/**
 * The worker's retention job (src/engine/retention.ts): applied shortly after start and then
 * periodically, in batches of `batchSize`, never touching unfinished events; wired into
 * `startService` for workers only when the config asks for it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/config/resolve.js';
import { applyRetention, countDue, retentionEnabled, startRetentionJob } from '../../src/engine/retention.js';
import type { Store } from '../../src/store/store.js';
import { delivery, memoryStore, silentLogger } from '../helpers/engine-fixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date(Date.UTC(2026, 5, 1));

/** `n` events succeeded `daysAgo`, then one dead and one queued event as old as them. */
async function seed(store: Store, n: number, daysAgo: number, unfinished = true): Promise<{ dead: number; queued: number }> {
  const when = new Date(NOW.getTime() - daysAgo * DAY);
  const finish = async (status: 'succeeded' | 'dead') => {
    const { event } = await store.insertEvent(delivery({ receivedAt: when, occurredAt: when }));
    await store.claimNextEvent({ workerId: 'w', leaseMs: 1000, now: when });
    await store.finishEvent({ eventId: event.id, leaseOwner: 'w', status, now: when });
    return event.id;
  };
  for (let i = 0; i < n; i += 1) await finish('succeeded');
  if (!unfinished) return { dead: 0, queued: 0 };
  const dead = await finish('dead');
  const queued = (await store.insertEvent(delivery({ receivedAt: when }))).event.id;
  return { dead, queued };
}

/** Counts the store's purgeBatch calls and their sizes, passing them through. */
function countingBatches(store: Store): { store: Store; batches: number[] } {
  const batches: number[] = [];
  const purgeBatch = store.purgeBatch.bind(store);
  store.purgeBatch = async (kind, before, limit) => {
    const n = await purgeBatch(kind, before, limit);
    batches.push(n);
    return n;
  };
  return { store, batches };
}

/** The `retention: { … }` examples of a Markdown file, evaluated as the config object they show. */
function retentionExamples(file: string): unknown[] {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const blocks = [...text.matchAll(/```ts\n(retention: \{[\s\S]*?\n\},?)\n```/g)].map((m) => m[1] ?? '');
  return blocks.map((block) => (new Function(`return { ${block} };`) as () => { retention: unknown })().retention);
}

describe('retention', () => {
  it('the examples in README.md and docs/deploy.md are valid configs that turn retention on', () => {
    const examples = [...retentionExamples('README.md'), ...retentionExamples('docs/deploy.md')];
    assert.equal(examples.length, 2);
    for (const retention of examples) {
      const config = resolveConfig({ sources: [], pipelines: [], retention }, 'docs');
      assert.equal(retentionEnabled(config.retention), true);
    }
  });

  it('is off unless a kind has a number of days', () => {
    assert.equal(retentionEnabled(undefined), false);
    assert.equal(retentionEnabled({ batchSize: 10 }), false);
    assert.equal(retentionEnabled({ ignoredAfterDays: 30 }), true);
  });

  it('applyRetention deletes in batches of batchSize until done, only the kinds named', async () => {
    const { store, batches } = countingBatches(await memoryStore());
    try {
      const kept = await seed(store, 7, 100);
      const policy = { succeededAfterDays: 90, batchSize: 3 };
      assert.deepEqual(await countDue(store, policy, NOW), { succeededEvents: 7 });
      assert.deepEqual(await applyRetention(store, policy, NOW), { succeededEvents: 7 });
      assert.deepEqual(batches, [3, 3, 1], 'three transactions of at most 3 rows');
      assert.equal((await store.getEvent(kept.dead))?.status, 'dead');
      assert.equal((await store.getEvent(kept.queued))?.status, 'queued');
      assert.equal(await store.countEvents({}), 2);
    } finally {
      await store.close();
    }
  });

  it('the job runs soon after start and again every interval, and stops cleanly', async () => {
    const store = await memoryStore();
    try {
      await seed(store, 4, 100, false);
      let clock = NOW;
      const job = startRetentionJob({
        store,
        policy: { succeededAfterDays: 90, batchSize: 2 },
        logger: silentLogger,
        intervalMs: 100,
        now: () => clock,
      });
      try {
        await waitUntil(async () => (await store.countEvents({ status: 'succeeded' })) === 0);
        // Events finished 80 days ago are not due yet; 20 days later (the next rounds) they are.
        await seed(store, 2, 80, false);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(await store.countEvents({ status: 'succeeded' }), 2, 'not due: kept');
        clock = new Date(NOW.getTime() + 20 * DAY);
        await waitUntil(async () => (await store.countEvents({ status: 'succeeded' })) === 0);
      } finally {
        await job.stop();
      }
      assert.equal(await store.countEvents({}), 0);
    } finally {
      await store.close();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
