/**
 * Several worker PROCESSES share one PostgreSQL queue: each event's stages run once, and a
 * worker killed mid-run (SIGKILL inside a stage's effect) loses nothing — its lease expires
 * and another worker resumes the event from its checkpoints.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { CRASH_STAGES } from '../helpers/crash-pipeline.js';
import { startEffectsServer } from '../helpers/effects-server.js';
import { delivery } from '../helpers/engine-fixtures.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { runWorkerProcess } from '../helpers/worker-process.js';

const EFFECT_KINDS = ['invoice', 'cartera', 'whatsapp'];

describe('worker processes on PostgreSQL', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  async function seed(url: string, count: number, prefix: string): Promise<number[]> {
    const store = await openStore(url);
    await store.migrate();
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      // A few events share an entity key: they must also run one at a time, in order.
      const entityKey = i % 5 === 0 ? `${prefix}-shared` : null;
      const occurredAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      ids.push((await store.insertEvent(delivery({ providerEventId: `${prefix}-${i}`, entityKey, occurredAt }))).event.id);
    }
    await store.close();
    return ids;
  }

  async function assertAllOnce(url: string, ids: number[]): Promise<void> {
    const store = await openStore(url);
    try {
      for (const id of ids) {
        assert.equal((await store.getEvent(id))?.status, 'succeeded', `event ${id}`);
        assert.deepEqual(
          (await store.getCheckpoints(id)).map((c) => c.status),
          CRASH_STAGES.map(() => 'success'),
        );
      }
    } finally {
      await store.close();
    }
  }

  it("three workers share a queue and run each event's stages once", async () => {
    const { url } = await schemas.create();
    const ids = await seed(url, 30, 'shared');
    const effects = await startEffectsServer();
    try {
      const env = { WEBPIG_DATABASE_URL: url, EFFECTS_URL: effects.url, WEBPIG_STAGE_DELAY_MS: '20', WEBPIG_LEASE_MS: '5000' };
      const exits = await Promise.all([1, 2, 3].map(() => runWorkerProcess(env)));
      assert.deepEqual(
        exits.map((e) => e.code),
        [0, 0, 0],
      );
      await assertAllOnce(url, ids);
      for (const kind of EFFECT_KINDS) {
        // Calls, not just records: no stage function ran twice (no replayed request either).
        assert.equal(effects.calls.get(kind), ids.length, `${kind} calls`);
        assert.deepEqual(
          [...effects.countsBy(kind).values()],
          ids.map(() => 1),
          `${kind} records`,
        );
      }
      // The events sharing an entity key ran one at a time, in occurrence order, across the
      // processes: all three effects of one before any effect of the next.
      const shared = ids.map((_, i) => `shared-${i}`).filter((_, i) => i % 5 === 0);
      const sequence = effects.records
        .map((r) => {
          const body = r.body as { event?: string; reference?: string };
          return body.event ?? body.reference ?? '';
        })
        .filter((ref) => shared.includes(ref));
      assert.deepEqual(
        sequence,
        shared.flatMap((ref) => [ref, ref, ref]),
      );
      const pids = new Set(effects.records.map((r) => (r.body as { pid: number }).pid));
      console.log(`effects made by ${pids.size} worker processes`);
    } finally {
      await effects.close();
    }
  });

  it('a worker killed inside a stage while others run loses nothing: another resumes its events after the lease', async () => {
    const { url } = await schemas.create();
    const ids = await seed(url, 30, 'killed');
    const effects = await startEffectsServer();
    const dir = mkdtempSync(join(tmpdir(), 'webpig-multi-'));
    try {
      const marker = join(dir, 'crashed');
      const arm = join(dir, 'arm');
      const base = { WEBPIG_DATABASE_URL: url, EFFECTS_URL: effects.url, WEBPIG_STAGE_DELAY_MS: '10', WEBPIG_LEASE_MS: '1000' };
      // The doomed worker stops in the middle of a `ledger` effect (the receiver with no
      // idempotency key: only reconcile prevents a second record), holding its lease...
      // One slot: held at the failpoint, the doomed worker runs nothing else, so the other 29
      // events wait for the two that join. With a second slot it could drain them all before
      // they started (a loaded machine), and they would never make an effect to wait for.
      const doomed = runWorkerProcess({
        ...base,
        WEBPIG_CONCURRENCY: '1',
        WEBPIG_CRASH_AT: 'ledger:during',
        WEBPIG_CRASH_MARKER: marker,
        WEBPIG_CRASH_ARM: arm,
      });
      await until(() => existsSync(marker), 'the doomed worker to reach ledger:during');
      const doomedPid = (effects.records.find((r) => r.kind === 'cartera')?.body as { pid: number }).pid;
      // ...two more workers join and start working, and only then is it killed.
      const survivors = Promise.all([runWorkerProcess(base), runWorkerProcess(base)]);
      await until(() => effects.records.some((r) => (r.body as { pid: number }).pid !== doomedPid), 'an effect of another worker');
      writeFileSync(arm, '');
      assert.equal((await doomed).signal, 'SIGKILL');
      assert.equal(readFileSync(marker, 'utf8'), 'ledger:during');
      assert.deepEqual(
        (await survivors).map((e) => e.code),
        [0, 0],
      );
      await assertAllOnce(url, ids);
      for (const kind of EFFECT_KINDS) {
        assert.deepEqual(
          [...effects.countsBy(kind).values()],
          ids.map(() => 1),
          `${kind}: each effect once`,
        );
      }
      const store = await openStore(url);
      try {
        const notes = (await Promise.all(ids.map((id) => store.getCheckpoints(id))))
          .flat()
          .filter((c) => c.stage === 'ledger')
          .flatMap((c) => c.history.map((h) => h.note));
        assert.ok(notes.includes('recovered by reconcile'), JSON.stringify(notes));
      } finally {
        await store.close();
      }
    } finally {
      await effects.close();
      if (!existsSync(join(dir, 'keep'))) rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Polls `done` every 10 ms; fails naming `what` after 60 s instead of hanging the suite. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`waited 60 s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
