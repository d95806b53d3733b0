/**
 * `webpig retry` (one rule with the API; --wait follows the event to its outcome) and
 * `webpig purge` (--dry-run changes nothing; never unfinished events or the audit log), run as
 * a user runs them, against a real `webpig worker` process on a SQLite file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { EventStatus } from '../../src/core/types.js';
import { engineOperations } from '../../src/server/api/operations.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { runCli, startCli } from '../helpers/cli.js';
import { delivery } from '../helpers/engine-fixtures.js';

const root = mkdtempSync(path.join(tmpdir(), 'webpig-retry-'));
after(() => rmSync(root, { recursive: true, force: true }));
const HERMETIC = { TZ: 'UTC', WEBPIG_LOG_LEVEL: 'warn' };

/** One stage that fails (no retries: dead at once) while the file `erp-down` exists. */
const CONFIG = `import { existsSync } from 'node:fs';
export default {
  sources: [],
  pipelines: [{
    name: 'facturador',
    match: (event) => event.type !== 'not.for.us',
    stages: [{
      name: 'erp',
      retry: { delaysMs: [] },
      run: async () => {
        if (existsSync(new URL('./erp-down', import.meta.url))) throw new Error('ERP down');
        return { invoice: 'FV-1' };
      },
    }],
  }],
  retention: { succeededAfterDays: 90, ignoredAfterDays: 30, rejectedDeliveriesAfterDays: 30 },
};
`;

function project() {
  const dir = mkdtempSync(path.join(root, 'p-'));
  writeFileSync(path.join(dir, 'webpig.config.js'), CONFIG);
  const db = `sqlite:${path.join(dir, 'webpig.db')}`;
  return { dir, db, run: (...args: string[]) => runCli(args, { cwd: dir, env: HERMETIC }) };
}

async function withStore<T>(db: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(db);
  await store.migrate();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function waitForStatus(db: string, id: number, statuses: EventStatus[]): Promise<EventStatus> {
  for (let i = 0; i < 200; i += 1) {
    const status = await withStore(db, async (store) => (await store.getEvent(id))?.status);
    if (status && statuses.includes(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`event ${id} never reached ${statuses.join(' or ')}`);
}

describe('webpig retry', () => {
  it(
    'refuses an ignored event as the API does; --wait says succeeded (0), dead again (1), or a timeout (1)',
    { timeout: 120_000 },
    async () => {
      const p = project();
      writeFileSync(path.join(p.dir, 'erp-down'), '');
      const [dies, ignored, diesToo] = await withStore(p.db, async (store) => [
        (await store.insertEvent(delivery())).event.id,
        (await store.insertEvent(delivery({ type: 'not.for.us' }))).event.id,
        (await store.insertEvent(delivery())).event.id,
      ]);
      const worker = startCli(['worker'], { cwd: p.dir, env: HERMETIC });
      try {
        assert.equal(await waitForStatus(p.db, dies, ['dead', 'succeeded']), 'dead');
        assert.equal(await waitForStatus(p.db, ignored, ['ignored', 'succeeded']), 'ignored');
        assert.equal(await waitForStatus(p.db, diesToo, ['dead', 'succeeded']), 'dead');

        // One rule: the CLI and the API refuse an ignored event with the same words.
        const refused = p.run('retry', String(ignored));
        assert.equal(refused.status, 1, refused.stderr);
        const rule = `event ${ignored} is ignored; only dead or retrying events can be retried`;
        assert.equal(refused.stderr, `webpig: ${rule}\n`);
        await withStore(p.db, async (store) => {
          await assert.rejects(
            engineOperations(store, []).retryEvent({ eventId: ignored, actor: 'ana@example.com', remoteAddress: null, now: new Date() }),
            (err: Error & { statusCode?: number; code?: string }) => err.message === rule && err.code === 'NOT_RETRIABLE',
          );
          const after = await store.getEvent(ignored);
          assert.deepEqual([after?.status, after?.manualRetries], ['ignored', 0], 'nothing was re-queued');
        });

        const deadAgain = p.run('retry', String(dies), '--wait');
        assert.equal(deadAgain.status, 1, deadAgain.stderr);
        assert.match(deadAgain.stdout, new RegExp(`^event ${dies} queued again`));
        assert.match(deadAgain.stderr, new RegExp(`^webpig: event ${dies} is dead again: .*ERP down; see webpig events show ${dies}\\n$`));

        unlinkSync(path.join(p.dir, 'erp-down'));
        const succeeded = p.run('retry', String(dies), '--wait');
        assert.equal(succeeded.status, 0, succeeded.stderr);
        assert.match(succeeded.stdout, new RegExp(`event ${dies} succeeded \\(attempt 3\\)`));
      } finally {
        await worker.stop();
      }
      // No worker: --wait gives up after --timeout, says so, and exits 1.
      const started = Date.now();
      const waited = p.run('retry', String(diesToo), '--wait', '--timeout', '1');
      assert.equal(waited.status, 1);
      assert.match(waited.stderr, new RegExp(`^webpig: event ${diesToo} is still queued after 1 s \\(is a worker running\\?\\)`));
      assert.ok(Date.now() - started < 20_000);
    },
  );
});

describe('webpig purge', () => {
  const DAY = 24 * 60 * 60 * 1000;

  /** Events in each status, last changed `daysAgo`, and rejected deliveries; returns their ids. */
  type Seeded = Record<'oldSucceeded' | 'recentSucceeded' | 'oldIgnored' | 'oldDead' | 'oldRetrying' | 'oldQueued', number>;
  async function seed(db: string): Promise<Seeded> {
    return withStore(db, async (store) => {
      const now = Date.now();
      const ids = {} as Seeded;
      const finished = async (name: keyof Seeded, status: 'succeeded' | 'ignored' | 'dead' | 'retrying', daysAgo: number) => {
        const when = new Date(now - daysAgo * DAY);
        const { event } = await store.insertEvent(delivery({ receivedAt: when, occurredAt: when }));
        const claimed = await store.claimNextEvent({ workerId: 'w', leaseMs: 1000, now: when });
        assert.equal(claimed?.id, event.id);
        await store.finishEvent({
          eventId: event.id,
          leaseOwner: 'w',
          status,
          now: when,
          nextAttemptAt: status === 'retrying' ? new Date(now + DAY) : null,
          ignoreReason: status === 'ignored' ? { kind: 'no_pipeline', detail: 'no pipeline' } : null,
        });
        ids[name] = event.id;
      };
      await finished('oldSucceeded', 'succeeded', 100);
      await finished('recentSucceeded', 'succeeded', 10);
      await finished('oldIgnored', 'ignored', 40);
      await finished('oldDead', 'dead', 400);
      await finished('oldRetrying', 'retrying', 400);
      ids.oldQueued = (await store.insertEvent(delivery({ receivedAt: new Date(now - 400 * DAY) }))).event.id;
      for (const daysAgo of [60, 45, 1]) {
        await store.recordRejection({
          at: new Date(now - daysAgo * DAY),
          source: 'stripe',
          httpStatus: 401,
          reason: 'bad signature',
          remoteAddress: null,
          firstBytes: '{}',
        });
      }
      await store.appendAudit({ actor: 'ana', action: 'event.retry', target: `event:${ids.oldDead}`, at: new Date(now - 400 * DAY) });
      return ids;
    });
  }

  const snapshot = (db: string) =>
    withStore(db, async (store) => ({
      events: (await store.listEvents({}, { limit: 100 })).items.map((e) => `${e.id}:${e.status}`).sort(),
      rejections: (await store.listRejections()).length,
      audit: (await store.listAudit({})).items.map((a) => a.action),
    }));

  it('--dry-run counts what is due and changes nothing; purge deletes only that, audited; unfinished events and the audit log stay', async () => {
    const p = project();
    const ids = await seed(p.db);
    const before = await snapshot(p.db);

    const dry = p.run('purge', '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /^would delete \(dry run: nothing was changed\):$/m);
    assert.match(dry.stdout, /^\s+1 succeeded events \(last changed before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d -05:00\)$/m);
    assert.match(dry.stdout, /^\s+1 ignored events /m);
    assert.match(dry.stdout, /^\s+2 rejected deliveries /m);
    assert.match(dry.stdout, /kept, whatever their age: dead, retrying, queued and processing events, and the audit log/);
    const dryJson = JSON.parse(p.run('purge', '--dry-run', '--json').stdout) as { dryRun: boolean; counts: Record<string, number> };
    assert.deepEqual(dryJson, { ...dryJson, dryRun: true, counts: { succeededEvents: 1, ignoredEvents: 1, rejectedDeliveries: 2 } });
    assert.deepEqual(await snapshot(p.db), before, 'a dry run changes nothing');

    const purge = p.run('purge');
    assert.equal(purge.status, 0, purge.stderr);
    assert.match(purge.stdout, /^deleted:$/m);
    assert.match(purge.stdout, /^\s+1 succeeded events /m);
    const afterPurge = await snapshot(p.db);
    assert.deepEqual(
      afterPurge.events,
      [`${ids.recentSucceeded}:succeeded`, `${ids.oldDead}:dead`, `${ids.oldRetrying}:retrying`, `${ids.oldQueued}:queued`].sort(),
    );
    assert.equal(afterPurge.rejections, 1);
    assert.deepEqual(afterPurge.audit.sort(), ['event.retry', 'retention.purge'], 'the old audit entry stays; the purge is audited');

    const again = JSON.parse(p.run('purge', '--json').stdout) as { counts: Record<string, number> };
    assert.deepEqual(again.counts, { succeededEvents: 0, ignoredEvents: 0, rejectedDeliveries: 0 });
  });

  it('`webpig worker` applies the retention of its config by itself, soon after it starts', { timeout: 60_000 }, async () => {
    const p = project();
    const ids = await seed(p.db);
    const worker = startCli(['worker'], { cwd: p.dir, env: HERMETIC });
    try {
      // The worker purges kind after kind (succeeded events, ignored events, rejected deliveries),
      // with a pause between batches: wait for the last kind, not for the first one to go.
      const purged = (store: Store): Promise<boolean> =>
        Promise.all([store.getEvent(ids.oldSucceeded), store.getEvent(ids.oldIgnored), store.listRejections()]).then(
          ([succeeded, ignored, rejections]) => succeeded === null && ignored === null && rejections.length === 1,
        );
      for (let i = 0; i < 150; i += 1) {
        if (await withStore(p.db, purged)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await withStore(p.db, async (store) => {
        assert.equal(await store.getEvent(ids.oldSucceeded), null, 'the old succeeded event is gone');
        assert.equal(await store.getEvent(ids.oldIgnored), null, 'the old ignored event is gone');
        assert.equal((await store.getEvent(ids.oldDead))?.status, 'dead', 'a dead event stays, however old');
        assert.equal((await store.getEvent(ids.recentSucceeded))?.status, 'succeeded');
        assert.equal((await store.listRejections()).length, 1);
      });
    } finally {
      await worker.stop();
    }
  });

  it('without retention in the config it deletes nothing and says how to set it', async () => {
    const dir = mkdtempSync(path.join(root, 'none-'));
    writeFileSync(path.join(dir, 'webpig.config.js'), 'export default { sources: [], pipelines: [] };\n');
    const db = `sqlite:${path.join(dir, 'webpig.db')}`;
    await seed(db);
    const before = await snapshot(db);
    const result = runCli(['purge'], { cwd: dir, env: HERMETIC });
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /retention is not configured, so nothing is ever deleted; set e\.g\. retention: \{ succeededAfterDays: 90 \}/,
    );
    assert.deepEqual(await snapshot(db), before);
  });
});
