/**
 * The engine's CLI commands, called in-process through commander with a real SQLite file:
 * listing, showing, retrying, and one-line errors: exit code 2 for bad input, 1 for a
 * refused operation (src/cli/errors.ts decides both, as main.ts does).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/config/resolve.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { definePipeline } from '../../src/core/pipeline.js';
import { PermanentError, RetriableError } from '../../src/core/errors.js';
import { register as registerEvents } from '../../src/cli/commands/events.js';
import { register as registerRetry } from '../../src/cli/commands/retry.js';
import type { EngineCliDeps } from '../../src/cli/commands/cli-deps.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runInProcess, type InProcessOutcome } from '../helpers/cli-in-process.js';
import { claimAndRun, insert, TestClock } from '../helpers/engine-fixtures.js';

const pipeline = definePipeline({
  name: 'facturador',
  match: () => true,
  stages: [
    { name: 'invoice', run: async (ctx) => void ctx.annotate({ customer: { name: 'Ana\u001b[31m' }, amount: 403125, currency: 'COP' }) },
    {
      name: 'dian',
      run: async () => {
        throw new PermanentError('NIT inválido', { code: 'DIAN_REJECTED' });
      },
    },
    { name: 'whatsapp', dependsOn: ['dian'], run: async () => undefined },
  ],
});

describe('engine CLI commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-cli-'));
  const url = `sqlite:${join(dir, 'cli.db')}`;
  const openStore = async () => {
    const store = SqliteStore.open(url);
    await store.migrate();
    return store;
  };
  const deps: EngineCliDeps = {
    openStore,
    openExistingStore: openStore,
    loadConfig: async (): Promise<ResolvedConfig> => resolveConfig({ sources: [], pipelines: [pipeline] }, 'test'),
    loadConfigForReading: async (): Promise<ResolvedConfig> => resolveConfig({ sources: [], pipelines: [pipeline] }, 'test'),
  };
  let deadId = 0;

  const cli = (...args: string[]): Promise<InProcessOutcome> =>
    runInProcess((program) => {
      registerEvents(program, deps);
      registerRetry(program, deps);
    }, args);

  before(async () => {
    const store = await deps.openStore();
    deadId = await insert(store, { summary: { product: { name: 'Curso UDEA', id: 'PROD-UDEA' } } });
    await claimAndRun(store, [pipeline], new TestClock(Date.now()));
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists events, filtered by status, as a table or JSON', async () => {
    const table = await cli('events', '--status', 'dead');
    assert.equal(table.exitCode, 0);
    assert.match(table.out, new RegExp(`^${deadId}\\s+dead\\s+epayco`, 'm'));
    const json = await cli('events', '--json');
    const parsed = JSON.parse(json.out) as { id: number; status: string; rawBodyBytes: number }[];
    assert.equal(parsed[0]?.id, deadId);
    assert.equal(parsed[0]?.status, 'dead');
    assert.ok(parsed[0]!.rawBodyBytes > 0);
    assert.equal((await cli('events', '--status', 'succeeded')).out, 'no events');
    assert.match((await cli('events', '--source', 'epayco')).out, new RegExp(`^${deadId}\\s+dead\\s+epayco`, 'm'));
    assert.equal((await cli('events', '--source', 'stripe')).out, 'no events');
  });

  it('shows every stage with status, attempts, error and why a stage did not run', async () => {
    const shown = await cli('events', 'show', String(deadId));
    assert.equal(shown.exitCode, 0);
    assert.match(shown.out, /invoice\s+success\s+\d+ ms\s+1/);
    assert.match(shown.out, /dian\s+error\s+\d+ ms\s+1\s+DIAN_REJECTED NIT inválido \(permanent\)/);
    assert.match(shown.out, /whatsapp\s+pending\s+0/);
    assert.match(shown.out, /product Curso UDEA \(PROD-UDEA\)\s+amount COP 403\.125/, 'pesos as Colombians write them');
    assert.ok(!shown.out.includes('\u001b'), 'control characters from data never reach the terminal');
  });

  it('retries a dead event, then refuses to retry it again while queued (exit 1, one line)', async () => {
    const retried = await cli('retry', String(deadId));
    assert.equal(retried.exitCode, 0);
    assert.match(retried.out, new RegExp(`^event ${deadId} queued again \\(retried by hand once\\)$`, 'm'));
    const again = await cli('retry', String(deadId));
    assert.equal(again.exitCode, 1);
    assert.match(again.err, /^webpig: event \d+ is queued; only dead or retrying events can be retried$/);
  });

  it('bad input: one clear line, exit code 2, no stack', async () => {
    for (const args of [
      ['events', '--status', 'exploded'],
      ['events', '--limit', '0'],
      ['events', 'show', 'abc'],
      ['retry'],
      ['retry', '1', '--status', 'dead'],
      ['retry', '--status', 'succeeded'],
    ]) {
      const result = await cli(...args);
      assert.equal(result.exitCode, 2, args.join(' '));
      assert.equal(result.err.split('\n').length, 1, args.join(' '));
      assert.match(result.err, /^webpig: \S.+$/, args.join(' '));
      assert.ok(!/\n\s+at /.test(result.err));
    }
    const missing = await cli('events', 'show', '424242');
    assert.deepEqual(
      [missing.exitCode, missing.err],
      [1, 'webpig: event 424242 does not exist'],
      'well-formed but not there: a failure, not a usage error',
    );
  });

  it('retry --status dead --reason requeues every dead event', async () => {
    // The event retried above fails again at `dian` and is dead once more.
    const store = await deps.openStore();
    try {
      assert.equal((await claimAndRun(store, [pipeline], new TestClock(Date.now())))?.status, 'dead');
    } finally {
      await store.close();
    }
    const unexplained = await cli('retry', '--status', 'dead');
    assert.equal(unexplained.exitCode, 2, 'a bulk retry needs a reason');
    const requeued = await cli('retry', '--status', 'dead', '--reason', 'DIAN fixed the NIT');
    assert.equal(requeued.exitCode, 0);
    assert.match(requeued.out, new RegExp(`^1 event queued again: ${deadId}$`, 'm'));
    assert.match((await cli('events', '--status', 'queued')).out, new RegExp(`^${deadId}\\s+queued`, 'm'));
    const none = await cli('retry', '--status', 'dead', '--reason', 'again');
    assert.match(none.out, /^no events match: nothing to retry$/m);
  });

  it('retry --wait says when the event failed again and when its next attempt is, exit 1', async () => {
    const flaky = definePipeline({
      name: 'flaky',
      match: () => true,
      stages: [
        {
          name: 'erp',
          run: async () => {
            throw new RetriableError('ERP busy', { code: 'ERP_BUSY' });
          },
        },
      ],
    });
    const store = await deps.openStore();
    try {
      // The earlier tests left events queued: let them finish first.
      while (await claimAndRun(store, [pipeline], new TestClock(Date.now()))) continue;
      // Its first attempt fails: retrying, next attempt in a minute.
      const id = await insert(store, { providerEventId: 'flaky-1' });
      const clock = new TestClock(Date.now());
      while ((await store.getEvent(id))?.status !== 'retrying') await claimAndRun(store, [flaky], clock);
      // A worker takes the re-queued event shortly after `retry --wait` starts following it.
      const worker = setTimeout(() => void claimAndRun(store, [flaky], new TestClock(Date.now())), 300);
      const waited = await cli('retry', String(id), '--wait', '--timeout', '10');
      clearTimeout(worker);
      assert.equal(waited.exitCode, 1, waited.err);
      assert.match(waited.out, new RegExp(`^event ${id} queued again`));
      assert.match(
        waited.err,
        new RegExp(
          `^webpig: event ${id} failed again \\(ERP_BUSY .*ERP busy\\); next attempt \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d -05:00$`,
        ),
      );
    } finally {
      await store.close();
    }
  });
});
